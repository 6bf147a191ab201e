import Datasets
import Foundation
import Testing

/// ../shared/cases/png-ihdr-overflow and png-ihdr-400m run as a user would: `dimr train` on a folder
/// holding them, with and without --skip-bad-images and --max-image-pixels.
@Suite struct ImageFolderCaseTests {
    let hostile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        + "/DatasetsTests/Fixtures/hostile"

    /// A folder of two classes of 8x8 gray PNGs, with the two hostile PNGs among them.
    func makeFolder() throws -> (root: String, config: String) {
        let root = try temporaryFolder()
        for (c, bad) in [(0, "png-ihdr-overflow"), (1, "png-ihdr-400m")] {
            let folder = root + "/data/class\(c)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for i in 0..<3 {
                try PNG.write(RasterImage(width: 8, height: 8, channels: 1, fill: UInt8(40 * c + i)), to: folder + "/\(i).png")
            }
            try FileManager.default.copyItem(atPath: "\(hostile)/\(bad).png", toPath: folder + "/\(bad).png")
        }
        try tinyModelJSON.write(toFile: root + "/tiny.json", atomically: true, encoding: .utf8)
        return (root, root + "/tiny.json")
    }

    func train(_ p: (root: String, config: String), _ extra: [String]) throws -> RunResult {
        try runDimr(["train", "--config", p.config, "--dataset", p.root + "/data", "--image-size", "8", "--steps", "1",
                     "--batch-size", "2", "--output", p.root + "/run", "--threads", "1"] + extra)
    }

    @Test func hostileHeadersAreNamedAndSkippable() throws {
        let p = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: p.root) }
        let refused = try train(p, [])
        #expect(refused.status == 1)
        #expect(refused.error.contains("class0/png-ihdr-overflow.png: image too large: 2147483647x2147483647 pixels exceeds the limit of 89478485"),
                "\(refused.error)")
        #expect(refused.error.contains("(--max-image-pixels raises the limit)") && !refused.error.contains("maxPixels"), "\(refused.error)")

        // A larger limit passes the 20000 x 20000 header, and the 67 bytes cannot hold it.
        let over = try train(p, ["--skip-bad-images", "--max-image-pixels", "1000000000"])
        #expect(over.status == 0, "\(over.error)")
        #expect(over.output.contains("6 images"))
        #expect(over.output.contains("skipped 2 bad image files (--skip-bad-images):"))
        #expect(over.output.contains("class1/png-ihdr-400m.png: truncated or corrupt PNG: a 20000x20000 image cannot be held by 67 bytes"))

        let zero = try train(p, ["--max-image-pixels", "0"])
        #expect(zero.status != 0 && zero.error.contains("--max-image-pixels must be at least 1, got 0"))
    }
}
