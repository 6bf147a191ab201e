import CTorch

/// The benchmark operations timed in a C++ loop straight on libtorch, to measure the Swift layer's overhead against.
public enum Benchmarks {
    /// Nanoseconds per `at::add(a, b)` call, averaged over `iterations` calls in C++ (after a short warm-up).
    public static func nativeAdd(_ a: Tensor, _ b: Tensor, iterations: Int) throws -> Double {
        try checked(withExtendedLifetime((a, b)) { ct_bench_add(a.handle, b.handle, Int64(iterations)) })
    }

    /// Nanoseconds per `at::layer_norm(x, [x.size(-1)])` call without weights (eps 1e-5), averaged in C++.
    public static func nativeLayerNorm(_ x: Tensor, iterations: Int) throws -> Double {
        try checked(withExtendedLifetime(x) { ct_bench_layer_norm(x.handle, Int64(iterations)) })
    }

    /// Nanoseconds per `at::matmul(a, b)` call, averaged in C++.
    public static func nativeMatmul(_ a: Tensor, _ b: Tensor, iterations: Int) throws -> Double {
        try checked(withExtendedLifetime((a, b)) { ct_bench_matmul(a.handle, b.handle, Int64(iterations)) })
    }

    private static func checked(_ nanoseconds: Double) throws -> Double {
        if nanoseconds < 0 { throw TorchError.last() }
        return nanoseconds
    }
}
