import Foundation
import Testing
import TestSupport
import Torch
@testable import Datasets

@Suite struct LatentIndexTests {
    /// A fresh folder holding `index.json` with `text`.
    func folder(withIndex text: String) throws -> String {
        let folder = try ScratchFolder.make("latentindex")
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/index.json"))
        return folder
    }

    /// An index as written before `complete`, `skipped` and `partial` existed.
    func oldIndex(processed: Int, shards: String) -> String {
        """
        {"format": "dimr-latents/1", "image_size": 16, "moments_shape": [2, 1, 1], "classes": ["a", "b"], "source_count": 5,
         "shard_size": 2, "fingerprint": "f", "autoencoder": "vae.pth", "processed": \(processed), "shards": [\(shards)]}
        """
    }

    @Test("an index without complete, skipped or partial is read; it is complete when every source file was processed")
    func oldIndexes() throws {
        let shards = #"{"file": "shard-00000.safetensors", "count": 2}, {"file": "shard-00001.safetensors", "count": 2}"#
        let done = try LatentIndex.read(folder: try folder(withIndex: oldIndex(processed: 5, shards: shards + #", {"file": "shard-00002.safetensors", "count": 1}"#)))
        #expect(done.isComplete && done.skipped.isEmpty && done.partial == nil && done.extracted == 5)
        let stopped = try LatentIndex.read(folder: try folder(withIndex: oldIndex(processed: 4, shards: shards)))
        #expect(!stopped.isComplete)
        #expect(stopped.unfinishedMessage(folder: "L").contains("4 of 5 images done"))
    }

    @Test("partial and skipped files survive writing and reading; complete is written, and checked when read")
    func roundTrip() throws {
        var index = LatentIndex(imageSize: 16, momentsShape: [2, 1, 1], classes: ["a", "b"], sourceCount: 5, shardSize: 2,
                                fingerprint: "f", autoencoder: "vae.pth")
        index.shards = [.init(file: "shard-00000.safetensors", count: 1)]
        index.skipped = [.init(path: "a/x.jpg", reason: "not an image")]
        index.partial = .init(file: "shard-00001.safetensors", count: 1)
        index.processed = 3
        let folder = try folder(withIndex: "{}")
        try index.write(folder: folder)
        #expect(try LatentIndex.read(folder: folder) == index)
        let written = try String(contentsOfFile: folder + "/index.json", encoding: .utf8)
        #expect(written.contains(#""complete" : false"#) && written.contains(#""path" : "a/x.jpg""#), "\(written)")

        let contradicting = written.replacingOccurrences(of: #""complete" : false"#, with: #""complete" : true"#)
        #expect(throws: DatasetError.self) { try LatentIndex.read(folder: try self.folder(withIndex: contradicting)) }
        // A shard in progress needs a source range in progress: not at a shard boundary, not past the end.
        for processed in [2, 5] {
            var bad = index
            bad.processed = processed
            let other = try self.folder(withIndex: "{}")
            try bad.write(folder: other)
            #expect(throws: DatasetError.self) { try LatentIndex.read(folder: other) }
        }
        // More images extracted and skipped than processed.
        var over = index
        over.skipped += [.init(path: "b/y.jpg", reason: "r"), .init(path: "b/z.jpg", reason: "r")]
        let overFolder = try self.folder(withIndex: "{}")
        try over.write(folder: overFolder)
        #expect(throws: DatasetError.self) { try LatentIndex.read(folder: overFolder) }
    }

    @Test("a latent stream refuses an unfinished folder, saying how to finish it")
    func streamRefusesUnfinished() throws {
        let shards = #"{"file": "shard-00000.safetensors", "count": 2}"#
        let folder = try folder(withIndex: oldIndex(processed: 2, shards: shards))
        try SafeTensors.save(["moments": try Tensor.zeros([2, 2, 2, 1, 1]), "labels": try Tensor([Int64(0), 1])],
                             to: folder + "/shard-00000.safetensors")
        #expect {
            try LatentBatchStream(folder: folder, batchSize: 1, seed: 0)
        } throws: { error in
            "\(error)".contains("unfinished extraction") && "\(error)".contains("the same dimr extract-latents command again")
        }
    }
}
