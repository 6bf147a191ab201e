// Errors, runtime queries, tensor lifetime, creation, random numbers, conversion and autograd.
#include "internal.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <cstring>
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/version.h>
#endif

namespace ctorch {
static thread_local std::string last_error;
static thread_local bool has_error = false;
void set_error(const char *msg) {
  last_error = msg;
  has_error = true;
}
std::vector<at::Tensor> list(const ct_tensor *ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}
}  // namespace ctorch

using namespace ctorch;

extern "C" {

const char *ct_last_error(void) { return has_error ? last_error.c_str() : nullptr; }
void ct_clear_error(void) {
  has_error = false;
  last_error.clear();
}
const char *ct_torch_version(void) { return TORCH_VERSION; }
int ct_cuda_is_available(void) { return at::hasCUDA() ? 1 : 0; }
int ct_cuda_device_count(void) {
  CT_GUARD(0, return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;)
}
int ct_get_num_threads(void) { return at::get_num_threads(); }
void ct_set_num_threads(int n) {
  try {
    at::set_num_threads(n);
  } catch (...) {
  }
}
// TF32 in CUDA matrix multiplies and cuDNN convolutions (libtorch's defaults: off and on); no effect on the CPU.
void ct_set_allow_tf32(int allow) {
  try {
    at::globalContext().setAllowTF32CuBLAS(allow != 0);
    at::globalContext().setAllowTF32CuDNN(allow != 0);
  } catch (...) {
  }
}
int ct_grad_enabled(void) { return c10::GradMode::is_enabled() ? 1 : 0; }
void ct_set_grad_enabled(int enabled) { c10::GradMode::set_enabled(enabled != 0); }
void ct_manual_seed(uint64_t seed) {
  try {
    at::manual_seed(seed);
  } catch (...) {
  }
}
int ct_cuda_synchronize(void) {
  CT_STATUS(if (at::hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(at::detail::getCUDAHooks().getCurrentDevice());)
}

void ct_free(ct_tensor t) { delete t; }
int ct_dim(ct_tensor t) { CT_GUARD(-1, return static_cast<int>(T(t).dim());) }
int ct_sizes(ct_tensor t, int64_t *out) {
  CT_STATUS(auto s = T(t).sizes(); std::memcpy(out, s.data(), s.size() * sizeof(int64_t));)
}
int ct_strides(ct_tensor t, int64_t *out) {
  CT_STATUS(auto s = T(t).strides(); std::memcpy(out, s.data(), s.size() * sizeof(int64_t));)
}
int64_t ct_numel(ct_tensor t) { CT_GUARD(-1, return T(t).numel();) }
int ct_dtype(ct_tensor t) { CT_GUARD(-1, return static_cast<int>(T(t).scalar_type());) }
int ct_device_type(ct_tensor t) { CT_GUARD(-1, return T(t).is_cuda() ? 1 : 0;) }
int ct_device_index(ct_tensor t) { CT_GUARD(-1, return T(t).is_cuda() ? T(t).device().index() : 0;) }
int ct_defined(ct_tensor t) { return t != nullptr && t->t.defined() ? 1 : 0; }

ct_tensor ct_empty(const int64_t *d, int n, int dtype, int dt, int di) {
  CT_TENSOR(at::empty(dims(d, n), options(dtype, dt, di)))
}
ct_tensor ct_full(const int64_t *d, int n, double value, int dtype, int dt, int di) {
  CT_TENSOR(at::full(dims(d, n), value, options(dtype, dt, di)))
}
ct_tensor ct_arange(double start, double end, double step, int dtype, int dt, int di) {
  CT_TENSOR(at::arange(start, end, step, options(dtype, dt, di)))
}
ct_tensor ct_linspace(double start, double end, int64_t steps, int dtype, int dt, int di) {
  CT_TENSOR(at::linspace(start, end, steps, options(dtype, dt, di)))
}
ct_tensor ct_from_bytes(const void *data, size_t nbytes, const int64_t *d, int n, int dtype) {
  CT_GUARD(nullptr, {
    auto t = at::empty(dims(d, n), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
    if (t.nbytes() != nbytes)
      throw std::invalid_argument("byte count " + std::to_string(nbytes) + " does not match shape and dtype (" +
                                  std::to_string(t.nbytes()) + " bytes)");
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, nbytes);
    return wrap(t);
  })
}
void *ct_data_ptr(ct_tensor t) {
  CT_GUARD(nullptr, {
    auto &x = T(t);
    if (!x.device().is_cpu() || !x.is_contiguous() || x.nbytes() == 0)
      throw std::invalid_argument("ct_data_ptr needs a non-empty contiguous CPU tensor");
    return x.data_ptr();
  })
}

int ct_copy_to_bytes(ct_tensor t, void *out, size_t nbytes) {
  CT_STATUS({
    auto c = T(t).detach().to(at::kCPU).contiguous();
    if (c.nbytes() != nbytes)
      throw std::invalid_argument("buffer of " + std::to_string(nbytes) + " bytes for a tensor of " +
                                  std::to_string(c.nbytes()) + " bytes");
    if (nbytes > 0) std::memcpy(out, c.data_ptr(), nbytes);
  })
}
ct_tensor ct_scalar_tensor(double value, int dtype) {
  CT_TENSOR(at::scalar_tensor(value, at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype))))
}
int ct_item_double(ct_tensor t, double *out) { CT_STATUS(*out = T(t).item<double>();) }
int ct_item_int64(ct_tensor t, int64_t *out) { CT_STATUS(*out = T(t).item<int64_t>();) }

ct_generator ct_generator_new(uint64_t seed) {
  CT_GUARD(nullptr, return new ct_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed)};)
}
ct_generator ct_generator_default(void) {
  CT_GUARD(nullptr, return new ct_generator_s{at::detail::getDefaultCPUGenerator()};)
}
void ct_generator_free(ct_generator g) { delete g; }
int ct_generator_seed(ct_generator g, uint64_t seed) {
  CT_STATUS(std::lock_guard<std::mutex> lock(g->g.mutex()); g->g.set_current_seed(seed);)
}
ct_tensor ct_generator_get_state(ct_generator g) {
  CT_GUARD(nullptr, std::lock_guard<std::mutex> lock(g->g.mutex()); return wrap(g->g.get_state());)
}
int ct_generator_set_state(ct_generator g, ct_tensor state) {
  CT_STATUS(std::lock_guard<std::mutex> lock(g->g.mutex()); g->g.set_state(T(state));)
}
ct_tensor ct_randn(const int64_t *d, int n, int dtype, ct_generator g, int dt, int di) {
  CT_TENSOR(at::randn(dims(d, n), gen(g), options(dtype, dt, di)))
}
ct_tensor ct_rand(const int64_t *d, int n, int dtype, ct_generator g, int dt, int di) {
  CT_TENSOR(at::rand(dims(d, n), gen(g), options(dtype, dt, di)))
}
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *d, int n, ct_generator g, int dt, int di) {
  CT_TENSOR(at::randint(low, high, dims(d, n), gen(g), options(static_cast<int>(at::kLong), dt, di)))
}
ct_tensor ct_randperm(int64_t n, ct_generator g) { CT_TENSOR(at::randperm(n, gen(g), at::kLong)) }
ct_tensor ct_bernoulli(ct_tensor probs, ct_generator g) { CT_TENSOR(at::bernoulli(T(probs), gen(g))) }
int ct_normal_(ct_tensor t, double mean, double std, ct_generator g) {
  CT_STATUS(c10::NoGradGuard ng; T(t).normal_(mean, std, gen(g));)
}
int ct_uniform_(ct_tensor t, double from, double to, ct_generator g) {
  CT_STATUS(c10::NoGradGuard ng; T(t).uniform_(from, to, gen(g));)
}

ct_tensor ct_to(ct_tensor a, int dtype, int dt, int di, int copy) {
  CT_TENSOR(T(a).to(device(dt, di), static_cast<at::ScalarType>(dtype), false, copy != 0))
}
ct_tensor ct_clone(ct_tensor a) { CT_TENSOR(T(a).clone()) }
ct_tensor ct_detach(ct_tensor a) { CT_TENSOR(T(a).detach()) }
ct_tensor ct_shallow_copy(ct_tensor a) { CT_TENSOR(T(a)) }

int ct_copy_(ct_tensor dst, ct_tensor src) { CT_STATUS(c10::NoGradGuard ng; T(dst).copy_(T(src));) }
int ct_fill_(ct_tensor t, double value) { CT_STATUS(c10::NoGradGuard ng; T(t).fill_(value);) }
int ct_zero_(ct_tensor t) { CT_STATUS(c10::NoGradGuard ng; T(t).zero_();) }
int ct_add_(ct_tensor t, ct_tensor other, double alpha) { CT_STATUS(c10::NoGradGuard ng; T(t).add_(T(other), alpha);) }
int ct_mul_scalar_(ct_tensor t, double s) { CT_STATUS(c10::NoGradGuard ng; T(t).mul_(s);) }
int ct_lerp_(ct_tensor t, ct_tensor end, double weight) { CT_STATUS(c10::NoGradGuard ng; T(t).lerp_(T(end), weight);) }

int ct_requires_grad(ct_tensor t) { CT_GUARD(-1, return T(t).requires_grad() ? 1 : 0;) }
int ct_set_requires_grad(ct_tensor t, int value) { CT_STATUS(T(t).requires_grad_(value != 0);) }
int ct_is_leaf(ct_tensor t) { CT_GUARD(-1, return T(t).is_leaf() ? 1 : 0;) }
int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph) {
  CT_STATUS(T(t).backward(grad ? T(grad) : at::Tensor(), retain_graph != 0);)
}
ct_tensor ct_grad(ct_tensor t) {
  CT_GUARD(nullptr, {
    const auto &g = T(t).grad();
    if (!g.defined()) return nullptr;
    return wrap(g);
  })
}
int ct_set_grad(ct_tensor t, ct_tensor grad) { CT_STATUS(T(t).mutable_grad() = grad ? T(grad) : at::Tensor();) }
int ct_autograd_grad(const ct_tensor *outputs, int n_out, const ct_tensor *grad_outputs, const ct_tensor *inputs,
                     int n_in, int retain_graph, int create_graph, ct_tensor *out) {
  CT_STATUS({
    std::vector<at::Tensor> gouts;
    if (grad_outputs)
      for (int i = 0; i < n_out; i++) gouts.push_back(grad_outputs[i] ? T(grad_outputs[i]) : at::Tensor());
    auto res = torch::autograd::grad(list(outputs, n_out), list(inputs, n_in), gouts,
                                     retain_graph ? c10::optional<bool>(true) : c10::optional<bool>(false),
                                     create_graph != 0, true);
    for (int i = 0; i < n_in; i++) out[i] = res[static_cast<size_t>(i)].defined() ? wrap(res[static_cast<size_t>(i)]) : nullptr;
  })
}

}  // extern "C"
