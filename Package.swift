// swift-tools-version: 6.1
import Foundation
import PackageDescription

// libtorch comes from `scripts/setup-libtorch.sh` (unpacked into .deps/torch) or from $LIBTORCH.
let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let libtorch = ProcessInfo.processInfo.environment["LIBTORCH"] ?? "\(packageDir)/.deps/torch"
let torchInclude = "\(libtorch)/include"
let torchLib = "\(libtorch)/lib"
// A CUDA build links torch_cuda too; set DIMR_CUDA=1 when building against such a libtorch.
let cuda = ProcessInfo.processInfo.environment["DIMR_CUDA"] == "1"
// DIMR_NCCL=1 (with DIMR_CUDA=1; scripts/build-cuda.sh sets both) compiles the NCCL process group into the shim.
// It needs the CUDA runtime, cuBLAS, cuSPARSE, cuSOLVER and NCCL headers: $DIMR_CUDA_INCLUDE, a list of folders
// separated by ':' (default: NVIDIA's wheels unpacked beside libtorch, as pip installs them: ../nvidia/*/include).
let nccl = cuda && ProcessInfo.processInfo.environment["DIMR_NCCL"] == "1"
let cudaIncludes = (ProcessInfo.processInfo.environment["DIMR_CUDA_INCLUDE"]
    ?? "\(libtorch)/../nvidia/cu13/include:\(libtorch)/../nvidia/nccl/include").split(separator: ":").map(String.init)
let ncclFlags = nccl ? ["-DDIMR_NCCL"] + cudaIncludes.map { "-I\($0)" } : []

// DIMR_STATIC_CODECS=1 (scripts/build-cuda.sh sets it) links libpng and libjpeg from their static archives, for
// machines without Debian's libpng16.so.16 and libjpeg.so.62 (e.g. the GPU machines the CUDA build is for).
let staticCodecs = ProcessInfo.processInfo.environment["DIMR_STATIC_CODECS"] == "1"
let codecLinker: [LinkerSetting] = staticCodecs
    ? [.unsafeFlags(["-Xlinker", "-l:libpng16.a", "-Xlinker", "-l:libjpeg.a"]), .linkedLibrary("z"), .linkedLibrary("m")]
    : [.linkedLibrary("png16"), .linkedLibrary("jpeg")]

// torch_cuda registers the CUDA kernels, so it is linked although nothing names it; the NCCL group names c10_cuda.
let cudaLinker = cuda ? ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-Xlinker", "--as-needed",
                         "-Xlinker", "--allow-shlib-undefined"] + (nccl ? ["-lc10_cuda"] : []) : []

let torchLinker: [LinkerSetting] = [
    .unsafeFlags(["-L\(torchLib)", "-Xlinker", "-rpath", "-Xlinker", torchLib] + cudaLinker),
    .linkedLibrary("torch_cpu"),
    .linkedLibrary("c10"),
]

let package = Package(
    name: "DiMR",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "DiMR", targets: ["DiMR"]),
        .library(name: "DiT", targets: ["DiT"]),
        .library(name: "Autoencoder", targets: ["Autoencoder"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .executable(name: "dimr", targets: ["DimrCLI"]),
        .executable(name: "dimr-bench", targets: ["DimrBench"]),
        .executable(name: "dimr-fuzz", targets: ["DimrFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(["-I\(torchInclude)", "-I\(torchInclude)/torch/csrc/api/include",
                              "-D_GLIBCXX_USE_CXX11_ABI=1", "-O2", "-w"] + ncclFlags),
            ],
            linkerSettings: torchLinker
        ),
        // Torch reads zip archives (NPZ, .pth) and zlib streams itself: see ZipReader for why.
        .target(name: "Torch", dependencies: ["CTorch", "CZlibShim"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "NN", dependencies: ["Torch"]),
        .target(name: "DiMR", dependencies: ["NN"]),
        .target(name: "DiT", dependencies: ["NN"]),
        .target(name: "Autoencoder", dependencies: ["Torch", "NN"]),
        .target(name: "Diffusion", dependencies: ["Torch"]),
        .systemLibrary(name: "CZlibShim", path: "Sources/CZlibShim"),
        // libpng and libjpeg-turbo (Debian's libpng-dev, libjpeg62-turbo-dev) behind a small C shim.
        .target(name: "CImageCodecs", linkerSettings: codecLinker),
        .target(name: "Datasets", dependencies: ["Torch", "CImageCodecs", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Feature networks (FID Inception-v3, the Fashion-MNIST classifier) and the metrics (FID, sFID, IS, precision/recall).
        .target(name: "Evaluation", dependencies: ["Torch", "NN"]),
        .target(name: "Pipeline", dependencies: ["Torch", "NN", "DiMR", "DiT", "Diffusion", "Datasets", "Autoencoder"]),
        // `dimr serve`: the HTTP API and page (Hummingbird 2), with one sampling worker.
        .target(name: "Serve", dependencies: ["Torch", "DiMR", "Diffusion", "Datasets", "Pipeline",
                                              .product(name: "Hummingbird", package: "hummingbird"),
                                              .product(name: "NIOHTTP1", package: "swift-nio"),
                                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                              .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "DimrCLI",
            dependencies: ["Torch", "NN", "DiMR", "Diffusion", "Datasets", "Pipeline", "Evaluation", "Serve",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "DimrBench", dependencies: ["Torch", "NN", "DiMR", "Diffusion", "Autoencoder", "Pipeline", "Evaluation"]),
        // libFuzzer harness for the readers of user files (`make fuzz`); without the fuzzer it replays inputs.
        .executableTarget(name: "DimrFuzz", dependencies: ["Torch", "Datasets", "Serve"]),
        // Float tolerances shared by the test targets (argued from float32 precision, any x86-64 CPU).
        .target(name: "TestSupport", dependencies: ["Torch"], path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DiMRTests", dependencies: ["DiMR", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DiTTests", dependencies: ["DiT", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "AutoencoderTests", dependencies: ["Autoencoder", "Pipeline", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Datasets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Datasets", "TestSupport"]),
        .testTarget(name: "DimrCLITests", dependencies: ["Torch", "NN", "Datasets", "Evaluation", "DimrCLI", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DimrFuzzTests", dependencies: ["DimrFuzz"]),
        .testTarget(name: "DimrBenchTests", dependencies: ["DimrBench", "DiMR", "Torch"]),
        .testTarget(name: "ServeTests", dependencies: ["Serve", "Torch", "NN", "DiMR", "Diffusion", "Pipeline", "TestSupport",
                                                    .product(name: "NIOHTTP1", package: "swift-nio")]),
    ],
    cxxLanguageStandard: .cxx17
)
