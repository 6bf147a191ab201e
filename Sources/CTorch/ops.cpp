// Elementwise math, reductions, linear algebra and shape operations.
#include "internal.h"

using namespace ctorch;

extern "C" {

ct_tensor ct_binary(int op, ct_tensor ha, ct_tensor hb) {
  CT_GUARD(nullptr, {
    const at::Tensor &a = T(ha), &b = T(hb);
    switch (op) {
      case CT_ADD: return wrap(at::add(a, b));
      case CT_SUB: return wrap(at::sub(a, b));
      case CT_MUL: return wrap(at::mul(a, b));
      case CT_DIV: return wrap(at::div(a, b));
      case CT_POW: return wrap(at::pow(a, b));
      case CT_MAXIMUM: return wrap(at::maximum(a, b));
      case CT_MINIMUM: return wrap(at::minimum(a, b));
      case CT_EQ: return wrap(at::eq(a, b));
      case CT_NE: return wrap(at::ne(a, b));
      case CT_LT: return wrap(at::lt(a, b));
      case CT_LE: return wrap(at::le(a, b));
      case CT_GT: return wrap(at::gt(a, b));
      case CT_GE: return wrap(at::ge(a, b));
      case CT_AND: return wrap(at::logical_and(a, b));
      case CT_OR: return wrap(at::logical_or(a, b));
      case CT_RSUB: return wrap(at::sub(b, a));
      case CT_RDIV: return wrap(at::div(b, a));
      case CT_FMOD: return wrap(at::fmod(a, b));
      case CT_ATAN2: return wrap(at::atan2(a, b));
    }
    throw std::invalid_argument("unknown binary op " + std::to_string(op));
  })
}

ct_tensor ct_binary_scalar(int op, ct_tensor ha, double s) {
  CT_GUARD(nullptr, {
    const at::Tensor &a = T(ha);
    switch (op) {
      case CT_ADD: return wrap(at::add(a, s));
      case CT_SUB: return wrap(at::sub(a, s));
      case CT_MUL: return wrap(at::mul(a, s));
      case CT_DIV: return wrap(at::div(a, s));
      case CT_POW: return wrap(at::pow(a, s));
      case CT_MAXIMUM: return wrap(at::clamp_min(a, s));
      case CT_MINIMUM: return wrap(at::clamp_max(a, s));
      case CT_EQ: return wrap(at::eq(a, s));
      case CT_NE: return wrap(at::ne(a, s));
      case CT_LT: return wrap(at::lt(a, s));
      case CT_LE: return wrap(at::le(a, s));
      case CT_GT: return wrap(at::gt(a, s));
      case CT_GE: return wrap(at::ge(a, s));
      case CT_RSUB: return wrap(at::rsub(a, s));
      case CT_RDIV: return wrap(at::mul(at::reciprocal(a), s));  // as Python's s / tensor
      case CT_FMOD: return wrap(at::fmod(a, s));
    }
    throw std::invalid_argument("unknown binary scalar op " + std::to_string(op));
  })
}

ct_tensor ct_unary(int op, ct_tensor ha) {
  CT_GUARD(nullptr, {
    const at::Tensor &a = T(ha);
    switch (op) {
      case CT_NEG: return wrap(at::neg(a));
      case CT_EXP: return wrap(at::exp(a));
      case CT_LOG: return wrap(at::log(a));
      case CT_SQRT: return wrap(at::sqrt(a));
      case CT_RSQRT: return wrap(at::rsqrt(a));
      case CT_SIN: return wrap(at::sin(a));
      case CT_COS: return wrap(at::cos(a));
      case CT_ERF: return wrap(at::erf(a));
      case CT_SIGMOID: return wrap(at::sigmoid(a));
      case CT_SILU: return wrap(at::silu(a));
      case CT_GELU: return wrap(at::gelu(a));
      case CT_GELU_TANH: return wrap(at::gelu(a, "tanh"));
      case CT_RELU: return wrap(at::relu(a));
      case CT_TANH: return wrap(at::tanh(a));
      case CT_ABS: return wrap(at::abs(a));
      case CT_SQUARE: return wrap(at::square(a));
      case CT_FLOOR: return wrap(at::floor(a));
      case CT_CEIL: return wrap(at::ceil(a));
      case CT_ROUND: return wrap(at::round(a));
      case CT_SIGN: return wrap(at::sign(a));
      case CT_LOG1P: return wrap(at::log1p(a));
      case CT_EXPM1: return wrap(at::expm1(a));
      case CT_NOT: return wrap(at::logical_not(a));
      case CT_ISNAN: return wrap(at::isnan(a));
      case CT_ISFINITE: return wrap(at::isfinite(a));
      case CT_RECIPROCAL: return wrap(at::reciprocal(a));
      case CT_ISINF: return wrap(at::isinf(a));
      case CT_LOG2: return wrap(at::log2(a));
    }
    throw std::invalid_argument("unknown unary op " + std::to_string(op));
  })
}

ct_tensor ct_where(ct_tensor c, ct_tensor a, ct_tensor b) { CT_TENSOR(at::where(T(c), T(a), T(b))) }
ct_tensor ct_clamp(ct_tensor a, int has_min, double mn, int has_max, double mx) {
  CT_TENSOR(at::clamp(T(a), has_min ? c10::optional<at::Scalar>(mn) : c10::nullopt,
                      has_max ? c10::optional<at::Scalar>(mx) : c10::nullopt))
}
ct_tensor ct_addcmul(ct_tensor in, ct_tensor t1, ct_tensor t2, double v) { CT_TENSOR(at::addcmul(T(in), T(t1), T(t2), v)) }
ct_tensor ct_lerp(ct_tensor a, ct_tensor b, double w) { CT_TENSOR(at::lerp(T(a), T(b), w)) }
ct_tensor ct_softmax(ct_tensor a, int64_t dim) { CT_TENSOR(at::softmax(T(a), dim)) }
ct_tensor ct_log_softmax(ct_tensor a, int64_t dim) { CT_TENSOR(at::log_softmax(T(a), dim)) }

ct_tensor ct_reduce(int op, ct_tensor ha, const int64_t *d, int n, int keepdim) {
  CT_GUARD(nullptr, {
    const at::Tensor &a = T(ha);
    bool k = keepdim != 0;
    at::OptionalIntArrayRef dd = n > 0 ? at::OptionalIntArrayRef(dims(d, n)) : c10::nullopt;
    switch (op) {
      case CT_SUM: return wrap(n > 0 ? at::sum(a, dd, k) : at::sum(a));
      case CT_MEAN: return wrap(n > 0 ? at::mean(a, dd, k) : at::mean(a));
      case CT_AMAX: return wrap(at::amax(a, n > 0 ? dims(d, n) : at::IntArrayRef(), k));
      case CT_AMIN: return wrap(at::amin(a, n > 0 ? dims(d, n) : at::IntArrayRef(), k));
      case CT_PROD:
        if (n == 0) return wrap(at::prod(a));
        if (n == 1) return wrap(at::prod(a, d[0], k));
        throw std::invalid_argument("prod reduces over one dimension at a time");
      case CT_ALL: {
        if (n == 0) return wrap(at::all(a));
        return wrap(at::all(a, dd, k));
      }
      case CT_ANY: {
        if (n == 0) return wrap(at::any(a));
        return wrap(at::any(a, dd, k));
      }
      case CT_LOGSUMEXP: {
        std::vector<int64_t> all;
        if (n == 0)
          for (int64_t i = 0; i < a.dim(); i++) all.push_back(i);
        return wrap(at::logsumexp(a, n > 0 ? dims(d, n) : at::IntArrayRef(all), k));
      }
    }
    throw std::invalid_argument("unknown reduction " + std::to_string(op));
  })
}
ct_tensor ct_var(ct_tensor a, const int64_t *d, int n, double correction, int keepdim) {
  CT_TENSOR(at::var(T(a), n > 0 ? at::OptionalIntArrayRef(dims(d, n)) : c10::nullopt, at::Scalar(correction),
                    keepdim != 0))
}
ct_tensor ct_norm(ct_tensor a, double p, const int64_t *d, int n, int keepdim) {
  CT_GUARD(nullptr, {
    if (n == 0) return wrap(at::norm(T(a), p));
    return wrap(at::norm(T(a), p, dims(d, n), keepdim != 0));
  })
}
ct_tensor ct_argmax(ct_tensor a, int64_t dim, int keepdim) { CT_TENSOR(at::argmax(T(a), dim, keepdim != 0)) }
ct_tensor ct_argmin(ct_tensor a, int64_t dim, int keepdim) { CT_TENSOR(at::argmin(T(a), dim, keepdim != 0)) }
ct_tensor ct_cumsum(ct_tensor a, int64_t dim) { CT_TENSOR(at::cumsum(T(a), dim)) }
ct_tensor ct_cumprod(ct_tensor a, int64_t dim) { CT_TENSOR(at::cumprod(T(a), dim)) }
int ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol) {
  CT_GUARD(-1, return at::allclose(T(a), T(b), rtol, atol) ? 1 : 0;)
}

ct_tensor ct_matmul(ct_tensor a, ct_tensor b) { CT_TENSOR(at::matmul(T(a), T(b))) }
ct_tensor ct_bmm(ct_tensor a, ct_tensor b) { CT_TENSOR(at::bmm(T(a), T(b))) }
ct_tensor ct_baddbmm(ct_tensor in, ct_tensor b1, ct_tensor b2, double beta, double alpha) {
  CT_TENSOR(at::baddbmm(T(in), T(b1), T(b2), beta, alpha))
}
ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b) { CT_TENSOR(at::linear(T(x), T(w), opt(b))) }

ct_tensor ct_reshape(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(T(a).reshape(dims(d, n))) }
ct_tensor ct_view(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(T(a).view(dims(d, n))) }
ct_tensor ct_permute(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(T(a).permute(dims(d, n))) }
ct_tensor ct_transpose(ct_tensor a, int64_t d0, int64_t d1) { CT_TENSOR(T(a).transpose(d0, d1)) }
ct_tensor ct_contiguous(ct_tensor a) { CT_TENSOR(T(a).contiguous()) }
ct_tensor ct_expand(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(T(a).expand(dims(d, n))) }
ct_tensor ct_repeat(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(T(a).repeat(dims(d, n))) }
ct_tensor ct_squeeze(ct_tensor a, int64_t dim) { CT_TENSOR(T(a).squeeze(dim)) }
ct_tensor ct_unsqueeze(ct_tensor a, int64_t dim) { CT_TENSOR(T(a).unsqueeze(dim)) }
ct_tensor ct_flatten(ct_tensor a, int64_t s, int64_t e) { CT_TENSOR(T(a).flatten(s, e)) }
ct_tensor ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t len) { CT_TENSOR(T(a).narrow(dim, start, len)) }
ct_tensor ct_as_strided(ct_tensor a, const int64_t *sizes, const int64_t *strides, int n, int64_t offset) {
  CT_TENSOR(T(a).as_strided(dims(sizes, n), dims(strides, n), offset))
}
ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  CT_TENSOR(T(a).slice(dim, start, end, step))
}
ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index) { CT_TENSOR(T(a).select(dim, index)) }
ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor idx) { CT_TENSOR(at::index_select(T(a), dim, T(idx))) }
ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor idx) { CT_TENSOR(at::gather(T(a), dim, T(idx))) }
ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double v) { CT_TENSOR(at::masked_fill(T(a), T(mask), v)) }
ct_tensor ct_flip(ct_tensor a, const int64_t *d, int n) { CT_TENSOR(at::flip(T(a), dims(d, n))) }
ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim) { CT_TENSOR(at::cat(list(ts, n), dim)) }
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim) { CT_TENSOR(at::stack(list(ts, n), dim)) }
int ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out) {
  CT_GUARD(-1, {
    auto parts = at::chunk(T(a), chunks, dim);
    for (size_t i = 0; i < parts.size(); i++) out[i] = wrap(parts[i]);
    return static_cast<int>(parts.size());
  })
}
int ct_split(ct_tensor a, const int64_t *sizes, int n, int64_t dim, ct_tensor *out) {
  CT_GUARD(-1, {
    auto parts = at::split_with_sizes(T(a), dims(sizes, n), dim);
    for (size_t i = 0; i < parts.size(); i++) out[i] = wrap(parts[i]);
    return static_cast<int>(parts.size());
  })
}

}  // extern "C"
