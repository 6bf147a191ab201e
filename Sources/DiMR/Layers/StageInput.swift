import NN
import Torch

/// Learned absolute position embeddings on a (maxHeight x maxWidth) grid, added to a channels-last map.
///
/// State-dict name: `position_embeddings.weight` (maxHeight * maxWidth, dim), row-major over the grid.
public final class PositionEmbeddings: Module, @unchecked Sendable {
    /// Rows of the grid.
    public let maxHeight: Int
    /// Columns of the grid.
    public let maxWidth: Int
    /// The table, one row per grid cell.
    public let positionEmbeddings: Embedding

    /// Embeddings of width `dim` for grids up to `maxHeight` x `maxWidth`.
    public init(maxHeight: Int, maxWidth: Int, dim: Int, generator: Generator?) throws {
        self.maxHeight = maxHeight
        self.maxWidth = maxWidth
        positionEmbeddings = try AuthorsInit.embedding(maxHeight * maxWidth, dim, generator: generator)
        super.init()
        register("position_embeddings", positionEmbeddings)
    }

    /// (B, H, W, C) -> (B, H, W, C), adding the embedding of cell (h, w) = row h * maxWidth + w.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (h, w, c) = (x.size(1), x.size(2), x.size(3))
        guard h <= maxHeight, w <= maxWidth else {
            throw DiMRError("a \(h)x\(w) token grid exceeds the position embeddings' \(maxHeight)x\(maxWidth)")
        }
        // The top-left h x w block of the grid is exactly the rows the index h * maxWidth + w selects.
        let grid = try positionEmbeddings.weight.tensor.view([maxHeight, maxWidth, c])
            .narrow(dim: 0, start: 0, length: h).narrow(dim: 1, start: 0, length: w)  // (H, W, C)
        return try x + grid.unsqueeze(0)  // (B, H, W, C)
    }
}

/// A stage's input path: area down-sampling of the image, a patchifying convolution, channels-last,
/// position embeddings (the authors' `input_layer` sequence: state-dict names `1` and `3`).
public final class StageInput: Module, @unchecked Sendable {
    /// Area down-sampling factor of the image (1 = none).
    public let imageRatio: Int
    /// The patchifying convolution (kernel = stride = patch size).
    public let conv: Conv2d
    /// The position embeddings.
    public let positions: PositionEmbeddings

    /// The input path of a stage reading `channels`-channel images.
    public init(channels: Int, _ config: StageConfig, generator: Generator?) throws {
        imageRatio = config.imageInputRatio
        conv = try Conv2d(channels, config.dim, kernelSize: config.inputFeatureRatio, stride: config.inputFeatureRatio,
                          generator: generator)
        positions = try PositionEmbeddings(maxHeight: config.maxHeight, maxWidth: config.maxWidth, dim: config.dim,
                                           generator: generator)
        super.init()
        register("1", conv)
        register("3", positions)
    }

    /// (B, channels, H, W) -> (B, H / (ratio * patch), W / (ratio * patch), dim).
    public func callAsFunction(_ images: Tensor) throws -> Tensor {
        var x = images
        if imageRatio != 1 {
            x = try x.interpolate(size: (x.size(2) / imageRatio, x.size(3) / imageRatio), mode: .area)  // (B, c, H/r, W/r)
        }
        let features = try conv(x).permute([0, 2, 3, 1])  // (B, h, w, dim)
        return try positions(features)
    }
}
