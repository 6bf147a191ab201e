import Foundation
import Testing
import TestSupport
import Torch
@testable import Datasets

@Suite struct LatentBatchStreamTests {
    /// A latent folder of 7 images (shards of 3, 3 and 1) whose moments encode their index: image i
    /// has moments filled with i, its flip with -i - 1, and label i % 2.
    func makeFolder() throws -> String {
        let folder = try ScratchFolder.make("latents")
        var index = LatentIndex(imageSize: 8, momentsShape: [2, 1, 1], classes: ["a", "b"], sourceCount: 7, shardSize: 3,
                                fingerprint: "test", autoencoder: "none")
        for (number, range) in [0..<3, 3..<6, 6..<7].enumerated() {
            let values = range.flatMap { i in [Float(i), Float(i), Float(-i - 1), Float(-i - 1)] }
            let moments = try Tensor(values, shape: [range.count, 2, 2, 1, 1])
            let labels = try Tensor(range.map { Int64($0 % 2) })
            let file = "shard-0000\(number).safetensors"
            try SafeTensors.save(["moments": moments, "labels": labels], to: folder + "/" + file)
            index.shards.append(.init(file: file, count: range.count))
        }
        index.processed = 7
        try index.write(folder: folder)
        return folder
    }

    /// The image index each row of a batch came from (flips decoded).
    func sources(_ moments: Tensor) throws -> [Int] {
        try moments.select(dim: 1, index: 0).flatten().toArray(Float.self).map { $0 >= 0 ? Int($0) : Int(-$0) - 1 }
    }

    @Test("an epoch visits every image once, flips some, and labels follow their images")
    func epochCoversEveryImage() throws {
        let stream = try LatentBatchStream(folder: try makeFolder(), batchSize: 7, seed: 3)
        let (moments, labels) = try stream.next()
        #expect(moments.shape == [7, 2, 1, 1])
        let seen = try sources(moments)
        #expect(seen.sorted() == Array(0..<7))
        #expect(try labels.toArray(Int64.self) == seen.map { Int64($0 % 2) })
        // Over 4 epochs (28 draws of probability 1/2) both the images and their flips come up.
        var flipped = 0
        for _ in 0..<4 { flipped += try stream.next().moments.select(dim: 1, index: 0).flatten().toArray(Float.self).filter { $0 < 0 }.count }
        #expect(flipped > 0 && flipped < 28, "\(flipped) of 28 flipped")
    }

    @Test("a restored stream continues with exactly the batches that would have come next")
    func resumesExactly() throws {
        let folder = try makeFolder()
        let straight = try LatentBatchStream(folder: folder, batchSize: 3, seed: 9)
        var expected: [Tensor] = []
        for _ in 0..<6 { expected.append(try straight.next().moments) }
        let first = try LatentBatchStream(folder: folder, batchSize: 3, seed: 9)
        for _ in 0..<2 { _ = try first.next() }
        let resumed = try LatentBatchStream(folder: folder, batchSize: 3, seed: 9)
        try resumed.restore(first.currentState())
        for k in 2..<6 { #expect(try resumed.next().moments.bytes() == expected[k].bytes(), "batch \(k)") }
        // Another epoch draws another order.
        #expect(try sources(expected[0]) + sources(expected[1]) != sources(expected[3]) + sources(expected[4]))
    }

    @Test("broken folders give clear errors")
    func errors() throws {
        #expect(throws: DatasetError.self) { try LatentBatchStream(folder: "/nonexistent-latents", batchSize: 1, seed: 0) }
        let folder = try makeFolder()
        #expect(throws: DatasetError.self) { try LatentBatchStream(folder: folder, batchSize: 0, seed: 0) }
        let stream = try LatentBatchStream(folder: folder, batchSize: 2, seed: 0)
        #expect(throws: DatasetError.self) {
            try stream.restore(DataLoaderState(epoch: 0, index: 99, epochGenerator: Data(), generator: Data()))
        }
    }

    @Test("a shard with labels outside the index's classes or non-finite moments is refused by name, not indexed")
    func badShardContents() throws {
        for (label, value) in [(Int64(2), Float(0)), (Int64(-1), Float(0)), (Int64(0), Float.nan)] {
            let folder = try makeFolder()
            let moments = try Tensor([Float](repeating: value, count: 3 * 4), shape: [3, 2, 2, 1, 1])
            try SafeTensors.save(["moments": moments, "labels": try Tensor([Int64](repeating: label, count: 3))],
                                 to: folder + "/shard-00001.safetensors")
            let stream = try LatentBatchStream(folder: folder, batchSize: 7, seed: 0)
            do {
                _ = try stream.next()
                Issue.record("a bad shard was read (label \(label), value \(value))")
            } catch let error as DatasetError {
                #expect(error.message.contains("shard-00001.safetensors"), "\(error.message)")
                #expect(error.message.contains(value.isNaN ? "NaN" : "outside the index's 2 classes"), "\(error.message)")
            }
        }
    }
}
