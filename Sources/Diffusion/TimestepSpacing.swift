import Foundation

/// How a discrete-time sampler picks its steps n (N = pure noise ... 1) from the schedule.
public enum TimestepSpacing: String, Sendable, CaseIterable, Codable {
    /// Uniform in half log-SNR from n = N to n = 1, rounded to the nearest step (the steps of
    /// diffusers' `use_lu_lambdas`); collisions at the low end are pushed apart.
    case logSNR
    /// Uniform in n, starting at N: `round(N - i N / S)` (diffusers' "trailing").
    case timeUniform

    /// `count` distinct steps in N...1, decreasing.
    public func timesteps(count: Int, schedule: NoiseSchedule) -> [Int] {
        let n = schedule.count
        precondition(count >= 1 && count <= n, "need 1...\(n) sampling steps, got \(count)")
        var steps: [Int]
        switch self {
        case .timeUniform:
            let stride = Double(n) / Double(count)
            steps = (0..<count).map { Int((Double(n) - Double($0) * stride).rounded(.toNearestOrEven)) }
        case .logSNR:
            steps = Self.logSNRSteps(count: count, schedule: schedule)
        }
        return Self.separated(steps, top: n)
    }

    /// Rounded steps uniform in log(sigma / alpha) between step N and step 1.
    private static func logSNRSteps(count: Int, schedule: NoiseSchedule) -> [Int] {
        let n = schedule.count
        // logSigma[k] = log(sqrt((1 - abar) / abar)) of step k + 1: increasing in k.
        let logSigma = (1...n).map { step -> Double in
            let abar = schedule.alphaBar[step]
            return Foundation.log(((1 - abar) / abar).squareRoot())
        }
        let high = logSigma[n - 1], low = logSigma[0]
        return (0..<count).map { i -> Int in
            let ramp = count == 1 ? 0 : Double(i) / Double(count - 1)
            let target = high + ramp * (low - high)
            // The last knot at or below the target, kept inside the table.
            var lo = 0
            var hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                if logSigma[mid] <= target { lo = mid + 1 } else { hi = mid }
            }
            let below = min(max(lo - 1, 0), n - 2)
            let w = min(max((logSigma[below] - target) / (logSigma[below] - logSigma[below + 1]), 0), 1)
            let k = (1 - w) * Double(below) + w * Double(below + 1)
            return Int(k.rounded(.toNearestOrEven)) + 1
        }
    }

    /// Makes the steps strictly decreasing and within 1...top, moving as few as needed.
    private static func separated(_ steps: [Int], top: Int) -> [Int] {
        var out = steps.map { min(max($0, 1), top) }
        for i in out.indices.dropFirst() where out[i] >= out[i - 1] { out[i] = out[i - 1] - 1 }
        if let last = out.indices.last { out[last] = max(out[last], 1) }
        for i in out.indices.reversed().dropFirst() where out[i] <= out[i + 1] { out[i] = out[i + 1] + 1 }
        return out
    }
}
