import Foundation

/// A figure measured several times: its median and the smallest and largest value.
struct Spread: Equatable {
    /// The median (the mean of the two middle values for an even count).
    let median: Double
    /// The smallest value.
    let min: Double
    /// The largest value.
    let max: Double
    /// How many values.
    let count: Int

    /// The spread of `values`; nil for an empty list. NaNs are dropped first (a failed run reads as NaN).
    init?(_ values: [Double]) {
        let finite = values.filter { !$0.isNaN }.sorted()
        guard let first = finite.first, let last = finite.last else { return nil }
        let n = finite.count
        median = n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2
        min = first
        max = last
        count = n
    }

    /// The same spread of `transform` of the values, for a monotonic `transform` (a decreasing one swaps the ends).
    func map(_ transform: (Double) -> Double) -> Spread {
        let a = transform(min), b = transform(max)
        return Spread(median: transform(median), min: Swift.min(a, b), max: Swift.max(a, b), count: count)
    }

    private init(median: Double, min: Double, max: Double, count: Int) {
        self.median = median
        self.min = min
        self.max = max
        self.count = count
    }

    /// JSON: `{"median": m, "min": a, "max": b, "n": count}`, rounded to `digits` significant digits.
    func json(_ digits: Int = 4) -> [String: Any] {
        ["median": significant(median, digits), "min": significant(min, digits), "max": significant(max, digits), "n": count]
    }

    /// `median (min-max)` with three significant digits, the Markdown tables' cell.
    var cell: String { "\(format(median)) (\(format(min))-\(format(max)))" }
}

/// `x` rounded to `digits` significant digits.
func significant(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite, x != 0 else { return x }
    let exponent = digits - Int(Foundation.ceil(Foundation.log10(Swift.abs(x))))
    // Whole powers of ten are exact doubles: scale up by multiplying, down by dividing.
    let scale = Foundation.pow(10, Double(Swift.abs(exponent)))
    return exponent >= 0 ? (x * scale).rounded() / scale : (x / scale).rounded() * scale
}

/// Three significant digits, without an exponent for the magnitudes the benchmarks print.
func format(_ x: Double) -> String {
    guard x.isFinite else { return "n/a" }
    let magnitude = x == 0 ? 0 : Int(Foundation.floor(Foundation.log10(Swift.abs(x))))
    let decimals = Swift.max(0, 2 - magnitude)
    return String(format: "%.\(decimals)f", x)
}
