// Neural-network operations, fused optimizer updates and C++-side benchmark loops.
#include "internal.h"

#include <chrono>

using namespace ctorch;

template <typename F>
static double time_loop(int64_t iters, F f) {
  for (int64_t i = 0; i < std::min<int64_t>(iters / 10 + 1, 1000); i++) f();
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; i++) f();
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(end - start).count() / static_cast<double>(iters);
}


extern "C" {

ct_tensor ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride, const int64_t *padding,
                    const int64_t *dilation, int64_t groups) {
  CT_TENSOR(at::conv2d(T(x), T(w), opt(b), dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups))
}
ct_tensor ct_conv_transpose2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride, const int64_t *padding,
                              const int64_t *output_padding, const int64_t *dilation, int64_t groups) {
  CT_TENSOR(at::conv_transpose2d(T(x), T(w), opt(b), dims(stride, 2), dims(padding, 2), dims(output_padding, 2),
                                 groups, dims(dilation, 2)))
}
ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p) {
  CT_TENSOR(at::avg_pool2d(T(x), dims(k, 2), dims(s, 2), dims(p, 2)))
}
ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, int64_t h, int64_t w) {
  CT_TENSOR(at::adaptive_avg_pool2d(T(x), {h, w}))
}
ct_tensor ct_upsample_nearest2d(ct_tensor x, int64_t h, int64_t w) {
  CT_TENSOR(at::upsample_nearest2d(T(x), {h, w}))
}
ct_tensor ct_upsample_bilinear2d(ct_tensor x, int64_t h, int64_t w, int align_corners) {
  CT_TENSOR(at::upsample_bilinear2d(T(x), {h, w}, align_corners != 0))
}
ct_tensor ct_layer_norm(ct_tensor x, const int64_t *shape, int n, ct_tensor w, ct_tensor b, double eps) {
  CT_TENSOR(at::layer_norm(T(x), dims(shape, n), opt(w), opt(b), eps))
}
ct_tensor ct_group_norm(ct_tensor x, int64_t groups, ct_tensor w, ct_tensor b, double eps) {
  CT_TENSOR(at::group_norm(T(x), groups, opt(w), opt(b), eps))
}
ct_tensor ct_embedding(ct_tensor weight, ct_tensor indices) { CT_TENSOR(at::embedding(T(weight), T(indices))) }
ct_tensor ct_sdpa(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout, int causal, int has_scale,
                  double scale) {
  CT_TENSOR(at::scaled_dot_product_attention(T(q), T(k), T(v), opt(mask), dropout, causal != 0,
                                             has_scale ? c10::optional<double>(scale) : c10::nullopt))
}
ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction, int64_t ignore_index, double ls) {
  CT_TENSOR(at::cross_entropy_loss(T(logits), T(target), c10::nullopt, reduction, ignore_index, ls))
}
ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int reduction) { CT_TENSOR(at::mse_loss(T(a), T(b), reduction)) }
ct_tensor ct_dropout(ct_tensor x, double p, int train) { CT_TENSOR(at::dropout(T(x), p, train != 0)) }
ct_tensor ct_pad(ct_tensor x, const int64_t *pad, int n, double value) {
  CT_TENSOR(at::constant_pad_nd(T(x), dims(pad, n), value))
}

// Follows torch.optim.AdamW's single-tensor path operation by operation, so results match bit for bit.
int ct_adamw_step(ct_tensor hp, ct_tensor hg, ct_tensor hm, ct_tensor hv, double lr, double beta1, double beta2,
                  double eps, double weight_decay, int64_t step) {
  CT_STATUS({
    c10::NoGradGuard ng;
    at::Tensor &p = T(hp), &m = T(hm), &v = T(hv);
    const at::Tensor &g = T(hg);
    p.mul_(1 - lr * weight_decay);
    m.lerp_(g, 1 - beta1);
    v.mul_(beta2).addcmul_(g, g, 1 - beta2);
    double bc1 = 1 - std::pow(beta1, static_cast<double>(step));
    double bc2 = 1 - std::pow(beta2, static_cast<double>(step));
    double step_size = lr / bc1;
    double bc2_sqrt = std::sqrt(bc2);
    at::Tensor denom = (v.sqrt() / bc2_sqrt).add_(eps);
    p.addcdiv_(m, denom, -step_size);
  })
}

// Follows torch.nn.utils.clip_grad_norm_ (2-norm, foreach=False).
int ct_clip_grad_norm(const ct_tensor *grads, int n, double max_norm, double *total_norm) {
  CT_STATUS({
    c10::NoGradGuard ng;
    if (n == 0) {
      *total_norm = 0;
      return 0;
    }
    std::vector<at::Tensor> norms;
    for (int i = 0; i < n; i++) norms.push_back(at::linalg_vector_norm(T(grads[i]), 2.0));
    at::Tensor total = at::linalg_vector_norm(at::stack(norms), 2.0);
    at::Tensor coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
    for (int i = 0; i < n; i++) T(grads[i]).mul_(coef.to(T(grads[i]).device()));
    *total_norm = total.item<double>();
  })
}

double ct_bench_add(ct_tensor a, ct_tensor b, int64_t iters) {
  CT_GUARD(-1, {
    const at::Tensor &x = T(a), &y = T(b);
    return time_loop(iters, [&] { at::Tensor r = at::add(x, y); });
  })
}
double ct_bench_layer_norm(ct_tensor a, int64_t iters) {
  CT_GUARD(-1, {
    const at::Tensor &x = T(a);
    int64_t last = x.size(-1);
    return time_loop(iters, [&] { at::Tensor r = at::layer_norm(x, {last}, c10::nullopt, c10::nullopt, 1e-5); });
  })
}
double ct_bench_matmul(ct_tensor a, ct_tensor b, int64_t iters) {
  CT_GUARD(-1, {
    const at::Tensor &x = T(a), &y = T(b);
    return time_loop(iters, [&] { at::Tensor r = at::matmul(x, y); });
  })
}

}  // extern "C"
