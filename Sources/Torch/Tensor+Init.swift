import CTorch

// Weight-initialisation helpers that need libtorch kernels beyond the plain random fills.
extension Tensor {
    /// Fills in place with a normal(mean, std) truncated to [a, b], outside autograd, by timm's
    /// inverse-CDF method (`timm.layers.trunc_normal_`, which the DiMR authors call).
    ///
    /// Note: torch 2.13's `nn.init.trunc_normal_` rejection-samples and so draws other numbers.
    public func truncatedNormal_(mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                 generator: Generator? = nil) throws {
        try withExtendedLifetime(generator) { try check(ct_trunc_normal_(handle, mean, std, a, b, generator?.handle)) }
    }
}
