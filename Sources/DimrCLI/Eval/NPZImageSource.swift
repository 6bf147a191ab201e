import ArgumentParser
import Datasets
import Foundation
import Torch

/// The images of an `.npz` in the ADM suite's layout: `arr_0` uint8 (N, H, W, C) with C = 1 or 3 (or
/// (N, H, W) gray), labels `arr_1` (N) when present; read `blockSize` images at a time.
struct NPZImageSource: EvalImageSource {
    let path: String
    let count: Int
    let imageShape: (height: Int, width: Int, channels: Int)
    let blockSize: Int
    private let stream: NPZArrayStream
    private let labels: [Int64]?
    private var handedOut = 0

    /// Opens `path`; `limit` keeps the first images only. Throws naming the file and the array at fault.
    init(path: String, limit: Int? = nil, blockSize: Int = 500) throws {
        stream = try NPZArrayStream(path: path, array: "arr_0")
        let shape = stream.shape
        guard stream.dtype == .uint8, shape.count == 4 && (shape[3] == 1 || shape[3] == 3) || shape.count == 3 else {
            throw ValidationError("\(path): arr_0 must be uint8 images (N, H, W, C) with C = 1 or 3, or (N, H, W); it is \(stream.dtype) \(shape)")
        }
        guard shape[0] > 0, shape[1] > 0, shape[2] > 0 else { throw ValidationError("\(path): arr_0 holds no images (\(shape))") }
        self.path = path
        count = min(shape[0], limit ?? shape[0])
        imageShape = (shape[1], shape[2], shape.count == 4 ? shape[3] : 1)
        self.blockSize = blockSize
        if try NPZArrayStream.arrayNames(path: path).contains("arr_1") {
            let labelStream = try NPZArrayStream(path: path, array: "arr_1")
            guard labelStream.shape == [shape[0]], [.int64, .int32, .uint8].contains(labelStream.dtype) else {
                throw ValidationError("\(path): arr_1 must hold one integer label per image (\(shape[0])), it is \(labelStream.dtype) \(labelStream.shape)")
            }
            let all = try labelStream.next(maxRows: shape[0]) ?? Tensor.zeros([0], dtype: .int64)
            labels = try all.to(.int64).toArray(Int64.self)
        } else {
            labels = nil
        }
    }

    var description: String {
        "\(path): arr_0 uint8 \(count)x\(imageShape.height)x\(imageShape.width)x\(imageShape.channels)\(labels == nil ? "" : ", labels arr_1")"
    }

    var hasLabels: Bool { labels != nil }

    mutating func next() throws -> (images: Tensor, labels: Tensor?)? {
        guard handedOut < count else { return nil }
        let rows = min(blockSize, count - handedOut)
        guard var block = try stream.next(maxRows: rows) else { return nil }
        if block.rank == 3 { block = try block.unsqueeze(3) }
        let blockLabels = try labels.map { try Tensor(Array($0[handedOut..<(handedOut + rows)])) }
        handedOut += rows
        return (block, blockLabels)
    }
}
