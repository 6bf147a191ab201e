import Foundation
import Testing
import Torch
@testable import Datasets

@Suite struct DataLoaderTests {
    /// Ten (1, 2, 3) images whose values encode their index, labels = index.
    func data(_ n: Int = 10) throws -> (Tensor, Tensor) {
        let images = try Tensor.arange(0, Double(n * 6), dtype: .float32).reshape([n, 1, 2, 3])
        return (images, try Tensor.arange(0, Double(n)))
    }

    func labelsOf(_ batch: Batch) throws -> [Int64] { try batch.labels.toArray(Int64.self) }

    @Test func sameSeedSameBatches() throws {
        let (images, labels) = try data()
        let a = try DataLoader(images: images, labels: labels, batchSize: 3, randomFlip: true, seed: 5)
        let b = try DataLoader(images: images, labels: labels, batchSize: 3, randomFlip: true, seed: 5)
        let c = try DataLoader(images: images, labels: labels, batchSize: 3, randomFlip: true, seed: 6)
        var sequenceA: [[Int64]] = [], sequenceC: [[Int64]] = []
        for _ in 0..<9 {
            let (x, y, z) = (try a.next(), try b.next(), try c.next())
            #expect(try labelsOf(x) == labelsOf(y))
            #expect(try x.images.toArray(Float.self) == y.images.toArray(Float.self))
            sequenceA.append(try labelsOf(x))
            sequenceC.append(try labelsOf(z))
        }
        #expect(sequenceA != sequenceC)
    }

    @Test func epochsArePermutations() throws {
        let (images, labels) = try data()
        let loader = try DataLoader(images: images, labels: labels, batchSize: 3, seed: 1)
        #expect(loader.batchesPerEpoch == 3)
        var epochs: [[Int64]] = []
        for _ in 0..<3 {
            let batches = try loader.remainingBatchesOfEpoch()
            #expect(batches.count == 3)
            let seen = try batches.flatMap { try labelsOf($0) }
            #expect(seen.count == 9 && Set(seen).count == 9)  // drop-last leaves one out
            epochs.append(seen)
        }
        #expect(loader.epoch == 3)
        #expect(epochs[0] != epochs[1])
        // The order is torch.randperm's with the loader's generator.
        let expectedFirst = try Tensor.randperm(10, generator: Generator(seed: 1)).toArray(Int64.self)
        #expect(epochs[0] == Array(expectedFirst.prefix(9)))
    }

    @Test func keepLastAndNoShuffle() throws {
        let (images, labels) = try data()
        let loader = try DataLoader(images: images, labels: labels, batchSize: 4, shuffle: false, dropLast: false)
        let batches = try loader.remainingBatchesOfEpoch()
        #expect(try batches.map { try labelsOf($0) } == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        // Images travel with their labels.
        #expect(try batches[2].images.toArray(Float.self) == Array((48..<60).map(Float.init)))
        #expect(errorMessage { _ = try DataLoader(images: images, labels: labels, batchSize: 11) }?.contains("cannot fill") == true)
        #expect(errorMessage {
            _ = try DataLoader(images: images, labels: labels.narrow(dim: 0, start: 0, length: 9), batchSize: 2)
        }?.contains("same number") == true)
    }

    @Test func flipsMirrorWholeImages() throws {
        let (images, labels) = try data(64)
        let loader = try DataLoader(images: images, labels: labels, batchSize: 64, shuffle: false, randomFlip: true, seed: 3)
        let batch = try loader.next()
        var flipped = 0
        for i in 0..<64 {
            let got = try batch.images.select(dim: 0, index: i)
            let original = try images.select(dim: 0, index: i)
            if try got.toArray(Float.self) == original.toArray(Float.self) { continue }
            #expect(try got.toArray(Float.self) == original.flip([2]).toArray(Float.self))
            flipped += 1
        }
        #expect(flipped > 16 && flipped < 48)
    }

    @Test(arguments: [0, 1, 2, 3, 5])
    func resumeGivesTheSameFollowingBatches(consumed: Int) throws {
        let (images, labels) = try data(11)
        func make() throws -> DataLoader {
            try DataLoader(images: images, labels: labels, batchSize: 4, randomFlip: true, seed: 21)
        }
        let reference = try make()
        for _ in 0..<consumed { _ = try reference.next() }
        let saved = try reference.state()
        #expect(saved.epoch == consumed / 2 && saved.index == consumed % 2)
        let expected = try (0..<5).map { _ in try reference.next() }

        // Through JSON and through checkpoint tensors, into fresh loaders seeded differently.
        let json = try JSONEncoder().encode(saved)
        let viaJSON = try DataLoader(images: images, labels: labels, batchSize: 4, randomFlip: true, seed: 99)
        try viaJSON.restore(JSONDecoder().decode(DataLoaderState.self, from: json))
        let viaTensors = try DataLoader(images: images, labels: labels, batchSize: 4, randomFlip: true, seed: 98)
        try viaTensors.restore(DataLoaderState(tensors: saved.tensors()))
        for loader in [viaJSON, viaTensors] {
            #expect(loader.epoch == saved.epoch && loader.index == saved.index)
            for want in expected {
                let got = try loader.next()
                #expect(try labelsOf(got) == labelsOf(want))
                #expect(try got.images.toArray(Float.self) == want.images.toArray(Float.self))
            }
        }
    }

    @Test func invalidStateThrows() throws {
        let (images, labels) = try data()
        let loader = try DataLoader(images: images, labels: labels, batchSize: 5, seed: 1)
        var state = try loader.state()
        state.index = 2
        #expect(errorMessage { try loader.restore(state) }?.contains("does not fit") == true)
        state.index = 0
        state.generator = Data([1, 2, 3])
        #expect(errorMessage { try loader.restore(state) }?.contains("generator state") == true)
    }
}
