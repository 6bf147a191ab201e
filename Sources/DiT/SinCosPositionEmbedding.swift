import Foundation
import Torch

/// The fixed 2-D sine-cosine position embedding of DiT (MAE's `get_2d_sincos_pos_embed`): the first half of
/// the channels encodes the column, the second half the row; each half is `[sin(p w_k), cos(p w_k)]` with
/// `w_k = 10000^(-k / (dim / 4))`, k = 0 ..< dim / 4. Computed in float64 and returned as float32.
/// - Parameters:
///   - dim: channels, a multiple of 4.
///   - gridSize: tokens per side.
/// - Returns: (1, gridSize^2, dim), tokens in row-major order.
func sinCosPositionEmbedding(dim: Int, gridSize: Int) throws -> Tensor {
    precondition(dim % 4 == 0 && gridSize > 0, "position embedding needs dim % 4 == 0 and a positive grid, got \(dim), \(gridSize)")
    let quarter = dim / 4
    var values = [Float](repeating: 0, count: gridSize * gridSize * dim)
    for row in 0..<gridSize {
        for column in 0..<gridSize {
            let base = (row * gridSize + column) * dim
            for (half, position) in [(0, Double(column)), (1, Double(row))] {
                for k in 0..<quarter {
                    let angle = position * pow(10_000, -Double(k) / Double(quarter))
                    values[base + half * 2 * quarter + k] = Float(sin(angle))
                    values[base + half * 2 * quarter + quarter + k] = Float(cos(angle))
                }
            }
        }
    }
    return try values.withUnsafeBytes { try Tensor.fromBytes($0, shape: [1, gridSize * gridSize, dim], dtype: .float32) }
}
