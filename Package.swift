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

let torchLinker: [LinkerSetting] = [
    .unsafeFlags(["-L\(torchLib)", "-Xlinker", "-rpath", "-Xlinker", torchLib]
        + (cuda ? ["-Xlinker", "--no-as-needed", "-ltorch_cuda", "-Xlinker", "--as-needed",
                   "-Xlinker", "--allow-shlib-undefined"] : [])),
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
        .library(name: "Diffusion", targets: ["Diffusion"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .executable(name: "dimr", targets: ["DimrCLI"]),
        .executable(name: "dimr-bench", targets: ["DimrBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(["-I\(torchInclude)", "-I\(torchInclude)/torch/csrc/api/include",
                              "-D_GLIBCXX_USE_CXX11_ABI=1", "-O2", "-w"]),
            ],
            linkerSettings: torchLinker
        ),
        .target(name: "Torch", dependencies: ["CTorch"]),
        .target(name: "NN", dependencies: ["Torch"]),
        .target(name: "DiMR", dependencies: ["NN"]),
        .target(name: "Diffusion", dependencies: ["Torch"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "Datasets", dependencies: ["Torch", "CZlib"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "Pipeline", dependencies: ["Torch", "NN", "DiMR", "Diffusion", "Datasets"]),
        .executableTarget(
            name: "DimrCLI",
            dependencies: ["Torch", "NN", "DiMR", "Diffusion", "Datasets", "Pipeline",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "DimrBench", dependencies: ["Torch", "NN", "DiMR", "Diffusion", "Pipeline"]),
        .testTarget(name: "TorchTests", dependencies: ["Torch"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN"], exclude: ["Fixtures"]),
        .testTarget(name: "DiMRTests", dependencies: ["DiMR"], exclude: ["Fixtures"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "DimrCLITests", dependencies: ["Torch", "Datasets", "DimrCLI"], exclude: ["Fixtures"]),
    ],
    cxxLanguageStandard: .cxx17
)
