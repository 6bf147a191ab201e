import Torch

extension Float32Tolerance {
    /// The condition number of sums: max |magnitudes| / max |result|, at least 1.
    ///
    /// `magnitudes` holds, for each result, the sum of the magnitudes of its terms (the same operation
    /// applied to |inputs|). A property of the inputs, not of the machine: it says how much cancellation
    /// can magnify rounding errors relative to the largest result.
    public static func condition(magnitudes: Tensor, result: Tensor) throws -> Double {
        let largest = try result.detach().to(.float64).abs().max().item()
        guard largest > 0 else { return .infinity }
        return max(1, try magnitudes.detach().to(.float64).abs().max().item() / largest)
    }
}
