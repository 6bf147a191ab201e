import Foundation
import Testing
import Torch
@testable import Datasets

@Suite struct ImageFolderTests {
    func constantImage(_ value: UInt8, channels: Int, width: Int = 4, height: Int = 3) -> RasterImage {
        RasterImage(width: width, height: height, channels: channels, fill: value)
    }

    @Test func classesLabelsAndValues() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["zebra", "ant", "moth"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
        }
        try PNG.write(constantImage(10, channels: 3), to: "\(root)/zebra/b.png")
        try PNG.write(constantImage(20, channels: 1), to: "\(root)/zebra/a.png")
        try PNG.write(constantImage(255, channels: 4), to: "\(root)/ant/only.png")
        try PNG.write(constantImage(0, channels: 2), to: "\(root)/moth/x.PNG")
        try writeBytes([1, 2, 3], to: "\(root)/moth/notes.txt")
        try writeBytes([1, 2, 3], to: "\(root)/README")

        let rgb = try ImageFolder(directory: root, width: 4, height: 3)
        #expect(rgb.classNames == ["ant", "moth", "zebra"])
        #expect(rgb.paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["only.png", "x.PNG", "a.png", "b.png"])
        #expect(try rgb.labels.toArray(Int64.self) == [0, 1, 2, 2])
        #expect(rgb.images.shape == [4, 3, 3, 4])
        let firstValues = try rgb.images.amaxPerImage()
        #expect(firstValues == [255, 0, 20, 10].map { Float($0) / Float(127.5) - 1 })

        let gray = try ImageFolder(directory: root, width: 4, height: 3, channels: 1)
        #expect(gray.images.shape == [4, 1, 3, 4])
    }

    @Test func sizeMismatchAndEmptyFoldersThrow() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }?.contains("no class subfolders") == true)
        try FileManager.default.createDirectory(atPath: "\(root)/a", withIntermediateDirectories: true)
        #expect(errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }?.contains("no .png files") == true)
        try PNG.write(constantImage(1, channels: 1, width: 5), to: "\(root)/a/wide.png")
        let message = errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }
        #expect(message?.contains("wide.png is 5x3, expected 4x3") == true)
        #expect(errorMessage { _ = try ImageFolder(directory: "\(root)/missing", width: 4, height: 3) }?.contains("not found") == true)
    }
}

extension Tensor {
    /// The largest value of each image, for constant test images.
    fileprivate func amaxPerImage() throws -> [Float] {
        try flatten(start: 1).max(dims: [1]).toArray(Float.self)
    }
}
