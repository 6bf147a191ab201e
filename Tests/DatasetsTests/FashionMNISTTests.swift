import Foundation
import Testing
import Torch
@testable import Datasets

/// Numbers read from the same files by the reference script (gzip + numpy).
struct FashionMNISTFacts: Decodable {
    struct Split: Decodable {
        let count: Int
        let first_labels: [Int]
        let last_label: Int
        let label_histogram: [Int]
        let first_image_row_14: [Int]
        let first_image_sum: Int
        let last_image_sum: Int
        let pixel_sum: Int
        let scaled_padded_mean: Double
    }
    let train: Split
    let test: Split

    static func load() throws -> FashionMNISTFacts {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/fashion_mnist_facts.json"))
        return try JSONDecoder().decode(FashionMNISTFacts.self, from: data)
    }
}

@Suite struct FashionMNISTTests {
    /// Checks a split against the reference numbers; pixel bytes are recovered from the scaled tensor.
    func check(_ split: FashionMNIST.Split, against facts: FashionMNISTFacts.Split) throws {
        let data = try FashionMNIST(split: split)
        #expect(data.count == facts.count)
        #expect(data.images.shape == [facts.count, 1, 32, 32])
        #expect(data.images.dtype == .float32)
        #expect(data.labels.shape == [facts.count])
        #expect(data.labels.dtype == .int64)
        #expect(try data.images.min().item() == -1)
        #expect(try data.images.max().item() == 1)

        let labels = try data.labels.toArray(Int64.self).map(Int.init)
        #expect(Array(labels.prefix(20)) == facts.first_labels)
        #expect(labels.last == facts.last_label)
        #expect((0..<10).map { c in labels.count(where: { $0 == c }) } == facts.label_histogram)

        // Border: two pixels of background on every side.
        let border = try data.images.narrow(dim: 2, start: 0, length: 2)
        #expect(try (border .== -1).all().item() == 1)
        let right = try data.images.narrow(dim: 3, start: 30, length: 2)
        #expect(try (right .== -1).all().item() == 1)

        // Bytes back from the scaled values: (x + 1) * 127.5 is exact to far below 0.5.
        let bytes = try ((data.images + 1) * 127.5).round()
        let inner = try bytes.narrow(dim: 2, start: 2, length: 28).narrow(dim: 3, start: 2, length: 28)
        let row = try inner.select(dim: 0, index: 0).select(dim: 0, index: 0).select(dim: 0, index: 14)
        #expect(try row.to(.int64).toArray(Int64.self).map(Int.init) == facts.first_image_row_14)
        #expect(try inner.select(dim: 0, index: 0).to(.float64).sum().item() == Double(facts.first_image_sum))
        #expect(try inner.select(dim: 0, index: facts.count - 1).to(.float64).sum().item() == Double(facts.last_image_sum))
        #expect(try inner.to(.float64).sum().item() == Double(facts.pixel_sum))
        // A float64 mean of 61 million values in [-1, 1]: libtorch's cascade sum here (at most 72
        // roundings) and numpy's pairwise sum in the reference (fewer), relative to at most 1.
        #expect(abs(try data.images.to(.float64).mean().item() - facts.scaled_padded_mean) <= 2 * 72 * 0x1p-53)

        // The scaling is byte / 127.5 - 1 in float32, as numpy's astype(float32) / 127.5 - 1.
        let values = try data.images.select(dim: 0, index: 0).flatten().toArray(Float.self)
        let expected = try bytes.select(dim: 0, index: 0).flatten().toArray(Float.self).map { $0 / Float(127.5) - 1 }
        #expect(values == expected)
    }

    @Test func trainSplitMatchesReference() throws {
        try check(.train, against: FashionMNISTFacts.load().train)
    }

    @Test func testSplitMatchesReference() throws {
        try check(.test, against: FashionMNISTFacts.load().test)
    }

    @Test func directoryResolution() {
        #expect(FashionMNIST.resolveDirectory("/x", environment: ["DIMR_FASHION_MNIST": "/y"]) == "/x")
        #expect(FashionMNIST.resolveDirectory(nil, environment: ["DIMR_FASHION_MNIST": "/y"]) == "/y")
        #expect(FashionMNIST.resolveDirectory(nil, environment: [:]) == FashionMNIST.systemDirectory)
    }

    /// Writes a small data set in the Fashion-MNIST layout, gzip-compressed.
    func writeSet(_ folder: String, images: Int, labels: Int, labelValue: UInt8 = 3, compress: Bool = true) throws {
        var noise = ByteNoise(state: 99)
        let imageFile = idxBytes(shape: [images, 28, 28], data: noise.bytes(images * 28 * 28))
        let labelFile = idxBytes(shape: [labels], data: [UInt8](repeating: labelValue, count: labels))
        let suffix = compress ? ".gz" : ""
        try writeBytes(compress ? Zlib.compress(imageFile, format: .gzip) : imageFile,
                       to: "\(folder)/t10k-images-idx3-ubyte\(suffix)")
        try writeBytes(compress ? Zlib.compress(labelFile, format: .gzip) : labelFile,
                       to: "\(folder)/t10k-labels-idx1-ubyte\(suffix)")
    }

    @Test func overrideFolderAndUncompressedFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeSet(folder, images: 5, labels: 5, compress: false)
        let data = try FashionMNIST(split: .test, directory: folder)
        #expect(data.images.shape == [5, 1, 32, 32])
        #expect(try data.labels.toArray(Int64.self) == [3, 3, 3, 3, 3])
        // Same pixels as the raw bytes, scaled.
        var noise = ByteNoise(state: 99)
        let first = noise.bytes(28 * 28)
        let got = try data.images.select(dim: 0, index: 0).narrow(dim: 1, start: 2, length: 28)
            .narrow(dim: 2, start: 2, length: 28).flatten().toArray(Float.self)
        #expect(got == first.map { Float($0) / Float(127.5) - 1 })
    }

    @Test func mismatchedOrInvalidFilesThrow() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeSet(folder, images: 4, labels: 3)
        #expect(errorMessage { _ = try FashionMNIST(split: .test, directory: folder) }?.contains("3 labels but") == true)

        try writeSet(folder, images: 3, labels: 3, labelValue: 10)
        #expect(errorMessage { _ = try FashionMNIST(split: .test, directory: folder) }?.contains("label 10") == true)

        let missing = "\(folder)/nothing-here"
        #expect(errorMessage { _ = try FashionMNIST(split: .train, directory: missing) } ==
            "Fashion-MNIST train images not found in \(missing): looked for train-images-idx3-ubyte.gz, "
            + "train-images-idx3-ubyte, train-images.idx3-ubyte.gz, train-images.idx3-ubyte")
    }

    @Test func unpackedFilesNamedWithADotAreFound() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeSet(folder, images: 2, labels: 2, compress: false)
        for kind in ["images-idx3", "labels-idx1"] {
            let dotted = kind.replacingOccurrences(of: "-idx", with: ".idx")
            try FileManager.default.moveItem(atPath: "\(folder)/t10k-\(kind)-ubyte", toPath: "\(folder)/t10k-\(dotted)-ubyte")
        }
        let data = try FashionMNIST(split: .test, directory: folder)
        #expect(data.images.shape == [2, 1, 32, 32])
        #expect(try data.labels.toArray(Int64.self) == [3, 3])
        // Only the labels missing: the error names the labels and every name tried for them.
        try FileManager.default.removeItem(atPath: "\(folder)/t10k-labels.idx1-ubyte")
        let message = errorMessage { _ = try FashionMNIST(split: .test, directory: folder) }
        #expect(message?.hasPrefix("Fashion-MNIST test labels not found in \(folder): looked for t10k-labels-idx1-ubyte.gz, ") == true)
        #expect(message?.hasSuffix("t10k-labels.idx1-ubyte.gz, t10k-labels.idx1-ubyte") == true)
    }

    @Test func idxHeaderChecks() throws {
        let good = idxBytes(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        let parsed = try IDXArray(parsing: good)
        #expect(parsed.shape == [2, 3])
        #expect(parsed.bytes == [1, 2, 3, 4, 5, 6])

        var badMagic = good
        badMagic[0] = 1
        #expect(errorMessage { _ = try IDXArray(parsing: badMagic) }?.contains("not an IDX file") == true)
        var badType = good
        badType[2] = 0x0d
        #expect(errorMessage { _ = try IDXArray(parsing: badType) }?.contains("not supported") == true)
        #expect(errorMessage { _ = try IDXArray(parsing: good.dropLast()) }?.contains("truncated") == true)
        #expect(errorMessage { _ = try IDXArray(parsing: good + [0]) }?.contains("too long") == true)
        #expect(errorMessage { _ = try IDXArray(parsing: Array(good.prefix(9))) }?.contains("truncated IDX header") == true)
        #expect(errorMessage { _ = try IDXArray(parsing: [0, 0]) }?.contains("truncated") == true)
    }

    @Test func corruptAndTruncatedRealFilesThrow() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = "\(FashionMNIST.resolveDirectory())/t10k-labels-idx1-ubyte.gz"
        let real = try readBytes(source)
        #expect(try IDXArray(contentsOf: source).shape == [10000])

        let cut = "\(folder)/cut.gz"
        try writeBytes(Array(real.prefix(real.count - 100)), to: cut)
        let truncated = errorMessage { _ = try IDXArray(contentsOf: cut) }
        #expect(truncated?.contains("truncated gzip") == true)
        #expect(truncated?.contains(cut) == true)

        var flipped = real
        flipped[real.count / 2] ^= 0x5a
        let corrupt = "\(folder)/corrupt.gz"
        try writeBytes(flipped, to: corrupt)
        #expect(errorMessage { _ = try IDXArray(contentsOf: corrupt) }?.contains("corrupt gzip") == true)

        // A gzip stream that is fine but holds a truncated IDX file.
        let inflated = try Zlib.decompress(real, format: .gzip)
        let short = "\(folder)/short.gz"
        try writeBytes(Zlib.compress(Array(inflated.dropLast(10)), format: .gzip), to: short)
        #expect(errorMessage { _ = try IDXArray(contentsOf: short) }?.contains("IDX file truncated") == true)
    }
}
