// Shared plumbing for the CTorch translation units: handle conversion and exception capture.
#pragma once
#if !__has_include(<ATen/ATen.h>)
#error "libtorch headers not found: run `make setup` (fetches libtorch into .deps/torch) or set LIBTORCH to a libtorch folder"
#endif
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <string>
#include <vector>
#include "include/ctorch.h"

struct ct_tensor_s {
  at::Tensor t;
};
struct ct_generator_s {
  at::Generator g;
};

namespace ctorch {
void set_error(const char *msg);

inline ct_tensor wrap(at::Tensor t) { return new ct_tensor_s{std::move(t)}; }
inline at::Tensor &T(ct_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}
inline c10::optional<at::Tensor> opt(ct_tensor h) {
  if (h == nullptr) return c10::nullopt;
  return h->t;
}
inline at::IntArrayRef dims(const int64_t *d, int n) { return at::IntArrayRef(d, static_cast<size_t>(n)); }
inline at::Device device(int type, int index) {
  if (type == 0) return at::Device(at::kCPU);
  if (type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  throw std::invalid_argument("unknown device type " + std::to_string(type));
}
inline at::TensorOptions options(int dtype, int dev_type, int dev_index) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(dev_type, dev_index));
}
inline c10::optional<at::Generator> gen(ct_generator g) {
  if (g == nullptr) return c10::nullopt;
  return g->g;
}
std::vector<at::Tensor> list(const ct_tensor *ts, int n);
}  // namespace ctorch

// Runs BODY; a C++ exception becomes a recorded message and the sentinel return value.
#define CT_GUARD(SENTINEL, ...)                   \
  try {                                           \
    __VA_ARGS__                                   \
  } catch (const c10::Error &e) {                 \
    ctorch::set_error(e.what_without_backtrace()); \
    return SENTINEL;                              \
  } catch (const std::exception &e) {             \
    ctorch::set_error(e.what());                  \
    return SENTINEL;                              \
  } catch (...) {                                 \
    ctorch::set_error("unknown C++ exception");   \
    return SENTINEL;                              \
  }

#define CT_TENSOR(...) CT_GUARD(nullptr, return ctorch::wrap(__VA_ARGS__);)
#define CT_STATUS(...) CT_GUARD(-1, __VA_ARGS__ return 0;)
