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
        #expect(errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }?.contains("no .png, .jpg or .jpeg files") == true)
        try PNG.write(constantImage(1, channels: 1, width: 5), to: "\(root)/a/wide.png")
        let message = errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }
        #expect(message?.contains("wide.png is 5x3, expected 4x3") == true)
        #expect(errorMessage { _ = try ImageFolder(directory: "\(root)/missing", width: 4, height: 3) }?.contains("not found") == true)
    }

    @Test func jpegFilesAndContentSniffing() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["cat", "dog"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(name)", withIntermediateDirectories: true)
        }
        let gray = try readBytes("\(ImageFixtures.folder)/jpeg_gray.jpg")
        let rgb = try readBytes("\(ImageFixtures.folder)/jpeg_rgb420.jpg")
        try writeBytes(gray, to: "\(root)/cat/n01.JPEG")  // ImageNet's spelling
        try writeBytes(rgb, to: "\(root)/cat/n02.jpg")
        // ImageNet holds a PNG named .JPEG: the bytes decide the format.
        let png = try PNG.encode(RasterImage(width: 19, height: 13, channels: 3, fill: 40))
        try writeBytes(png, to: "\(root)/dog/really-a-png.JPEG")

        let folder = try ImageFolder(directory: root, width: 19, height: 13)
        #expect(folder.count == 3 && folder.skipped.isEmpty)
        #expect(try folder.labels.toArray(Int64.self) == [0, 0, 1])
        let expected = try JPEG.decode(rgb).tensor()
        #expect(try folder.images.select(dim: 0, index: 1).contiguous().toArray(Float.self) == expected.toArray(Float.self))
        let grayAsRGB = try JPEG.decode(gray).converted(toChannels: 3).tensor()
        #expect(try folder.images.select(dim: 0, index: 0).contiguous().toArray(Float.self) == grayAsRGB.toArray(Float.self))
    }

    @Test func badFilesAreNamedOrSkippedAndCounted() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/a", withIntermediateDirectories: true)
        try PNG.write(constantImage(7, channels: 1), to: "\(root)/a/0-good.png")
        try writeBytes(Array(try PNG.encode(constantImage(9, channels: 3)).prefix(40)), to: "\(root)/a/1-cut.png")
        try writeBytes(try readBytes("\(ImageFixtures.hostile)/png-ihdr-400m.png"), to: "\(root)/a/2-bomb.png")
        try writeBytes(Array("not an image".utf8), to: "\(root)/a/3-text.jpg")
        try PNG.write(constantImage(1, channels: 1, width: 5), to: "\(root)/a/4-wide.png")
        try PNG.write(constantImage(200, channels: 3), to: "\(root)/a/5-good.png")

        // Without skipping, the first bad file stops loading, and the error names it.
        let message = errorMessage { _ = try ImageFolder(directory: root, width: 4, height: 3) }
        #expect(message?.hasPrefix("\(root)/a/1-cut.png: invalid PNG: truncated") == true)

        let folder = try ImageFolder(directory: root, width: 4, height: 3, options: ImageLoadOptions(skipBadFiles: true))
        #expect(folder.paths == ["\(root)/a/0-good.png", "\(root)/a/5-good.png"])
        #expect(folder.images.shape == [2, 3, 3, 4])
        #expect(try folder.images.amaxPerImage() == [7, 200].map { Float($0) / Float(127.5) - 1 })
        #expect(folder.skipped.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["1-cut.png", "2-bomb.png", "3-text.jpg", "4-wide.png"])
        let reasons = folder.skipped.map(\.reason)
        #expect(reasons[1].contains("2-bomb.png: image too large: 20000x20000"))
        #expect(reasons[2].contains("3-text.jpg: neither a PNG nor a JPEG file"))
        #expect(reasons[3].contains("4-wide.png is 5x3, expected 4x3"))

        // The pixel limit reaches the decoder: with 11, every 4 x 3 image is refused; nothing left is an error.
        let tight = errorMessage {
            _ = try ImageFolder(directory: root, width: 4, height: 3, options: ImageLoadOptions(maxPixels: 11, skipBadFiles: true))
        }
        #expect(tight == "image folder \(root): all 6 images were skipped as bad; the first: "
                + "\(root)/a/0-good.png: image too large: 4x3 pixels exceeds the limit of 11 pixels per image")
    }
}

extension Tensor {
    /// The largest value of each image, for constant test images.
    fileprivate func amaxPerImage() throws -> [Float] {
        try flatten(start: 1).max(dims: [1]).toArray(Float.self)
    }
}
