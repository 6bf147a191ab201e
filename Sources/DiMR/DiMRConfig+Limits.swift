/// Size limits of a configuration and the image sizes it can take, checked with overflow-safe arithmetic,
/// so that a hostile or mistyped configuration is an error before anything is allocated.
extension DiMRConfig {
    /// The largest value any integer size field may take (`dim`, `max_height`, `num_classes`, ...): 2^20.
    ///
    /// With every field at most 2^20, each state-dict shape entry (the largest being
    /// `dim * ratio * ratio` and `max_height * max_width`) fits in 63 bits, so the shape listing
    /// cannot overflow; the element counts are then summed with checked arithmetic.
    public static let maxFieldValue = 1 << 20

    /// The largest parameter count accepted: 2^34 (17 billion, 64 GiB of float32 weights; DiMR-G/2R has 1.06 billion).
    public static let maxParameterCount = 1 << 34

    /// The largest image side accepted by `validate(imageSize:)`: 2^16.
    public static let maxImageSize = 1 << 16

    /// Checks every integer size field against `maxFieldValue`; throws naming the first field out of range.
    func validateFieldSizes() throws {
        func check(_ name: String, _ value: Int) throws {
            guard value <= Self.maxFieldValue else {
                throw DiMRError("invalid DiMR configuration: \(name) \(value) is larger than the limit \(Self.maxFieldValue)")
            }
        }
        try check("channels", channels)
        if let n = numClasses { try check("num_classes", n) }
        for (i, s) in stageConfigs.enumerated() {
            let at = "stage_configs[\(i)]"
            for (name, value) in [("dim", s.dim), ("hidden_dim", s.hiddenDim), ("num_blocks", s.numBlocks),
                                  ("max_height", s.maxHeight), ("max_width", s.maxWidth),
                                  ("image_input_ratio", s.imageInputRatio), ("input_feature_ratio", s.inputFeatureRatio),
                                  ("final_kernel_size", s.finalKernelSize), ("num_attention_heads", s.numAttentionHeads ?? 1),
                                  ("kernel_size", s.kernelSize ?? 1)] {
                try check("\(at).\(name)", value)
            }
        }
    }

    /// The number of parameters, or nil when it does not fit in an `Int`.
    ///
    /// Call only on a configuration whose fields passed `validateFieldSizes()` (the shapes themselves are then exact).
    func checkedParameterCount() -> Int? {
        var total = 0
        for (_, shape) in parameterShapes() {
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { return nil }
                count = product
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// Checks that the parameter count is at most `maxParameterCount`.
    func validateParameterCount() throws {
        guard let count = checkedParameterCount(), count <= Self.maxParameterCount else {
            throw DiMRError("invalid DiMR configuration: the model would have more than \(Self.maxParameterCount) parameters "
                            + "(2^34, 64 GiB of float32 weights); check dim, hidden_dim, max_height and max_width")
        }
    }

    /// Checks that `imageSize` x `imageSize` inputs fit every stage: the side divides by the stage's
    /// `image_input_ratio * input_feature_ratio`, the token grid fits `max_height` x `max_width`, and each
    /// stage's grid is the grid below it up-sampled by the ratio of their `max_height`s.
    ///
    /// - Throws: `DiMRError` naming the image size and the stage that does not fit.
    public func validate(imageSize: Int) throws {
        try validate()
        guard imageSize > 0, imageSize <= Self.maxImageSize else {
            throw DiMRError("image size must be in 1...\(Self.maxImageSize), got \(imageSize)")
        }
        var below: (side: Int, maxHeight: Int)?
        for (i, s) in stageConfigs.enumerated() {
            let at = "stage_configs[\(i)]"
            let (step, overflow) = s.imageInputRatio.multipliedReportingOverflow(by: s.inputFeatureRatio)
            guard !overflow, imageSize % step == 0 else {
                throw DiMRError("image size \(imageSize) is not a multiple of \(at)'s image_input_ratio x input_feature_ratio "
                                + "(\(s.imageInputRatio) x \(s.inputFeatureRatio))")
            }
            let side = imageSize / step
            guard side <= s.maxHeight, side <= s.maxWidth else {
                throw DiMRError("image size \(imageSize) gives \(at) a \(side)x\(side) token grid, larger than its "
                                + "max_height x max_width \(s.maxHeight)x\(s.maxWidth)")
            }
            if let below {
                let ratio = s.maxHeight / below.maxHeight
                guard below.side * ratio == side else {
                    throw DiMRError("image size \(imageSize) gives \(at) a \(side)x\(side) grid, but the stage below hands up "
                                    + "\(below.side * ratio)x\(below.side * ratio) (its \(below.side)x\(below.side) grid x \(ratio))")
                }
            }
            below = (side, s.maxHeight)
        }
    }
}
