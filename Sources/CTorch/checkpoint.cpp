// Gradient checkpointing (DiMR area): a custom autograd node that recomputes a caller-supplied function
// in the backward pass instead of keeping its activations, like torch.utils.checkpoint (reentrant variant).
#include "internal.h"

#include <ATen/autocast_mode.h>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

using namespace ctorch;

namespace {

// The caller's function and its context; the context is released when the autograd node dies.
struct Closure : torch::CustomClassHolder {
  ct_checkpoint_fn fn;
  void *context;
  void (*release)(void *);
  int64_t max_outputs;

  Closure(ct_checkpoint_fn f, void *c, void (*r)(void *), int64_t m) : fn(f), context(c), release(r), max_outputs(m) {}
  ~Closure() override {
    if (release != nullptr) release(context);
  }

  std::vector<at::Tensor> call(const std::vector<at::Tensor> &inputs) const {
    std::vector<std::unique_ptr<ct_tensor_s>> borrowed;
    std::vector<ct_tensor> handles;
    for (const auto &t : inputs) {
      borrowed.emplace_back(new ct_tensor_s{t});
      handles.push_back(borrowed.back().get());
    }
    std::vector<ct_tensor> out(static_cast<size_t>(max_outputs), nullptr);
    char error[2048] = {0};
    int n = fn(context, handles.data(), static_cast<int>(handles.size()), out.data(), static_cast<int>(max_outputs),
               error, static_cast<int>(sizeof error));
    std::vector<at::Tensor> result;
    for (int i = 0; i < static_cast<int>(out.size()); i++) {
      if (out[i] == nullptr) continue;
      if (n >= 0 && i < n) result.push_back(out[i]->t);
      delete out[i];
    }
    if (n < 0) throw std::runtime_error(error[0] != 0 ? error : "checkpointed function failed");
    if (static_cast<int>(result.size()) != n) throw std::runtime_error("checkpointed function returned a null tensor");
    return result;
  }
};

// The autocast setting of CPU and CUDA, captured in the forward pass and re-entered for the recomputation,
// so that a mixed-precision forward is recomputed in the same precision (torch.utils.checkpoint does the same).
struct AutocastSetting {
  bool cpu_enabled, cuda_enabled;
  at::ScalarType cpu_dtype, cuda_dtype;

  static AutocastSetting current() {
    return {at::autocast::is_autocast_enabled(at::kCPU), at::autocast::is_autocast_enabled(at::kCUDA),
            at::autocast::get_autocast_dtype(at::kCPU), at::autocast::get_autocast_dtype(at::kCUDA)};
  }
  static AutocastSetting from(const torch::autograd::AutogradContext *ctx) {
    const auto &d = ctx->saved_data;
    return {d.at("autocast_cpu").toBool(), d.at("autocast_cuda").toBool(),
            static_cast<at::ScalarType>(d.at("autocast_cpu_dtype").toInt()),
            static_cast<at::ScalarType>(d.at("autocast_cuda_dtype").toInt())};
  }
  void save(torch::autograd::AutogradContext *ctx) const {
    ctx->saved_data["autocast_cpu"] = cpu_enabled;
    ctx->saved_data["autocast_cuda"] = cuda_enabled;
    ctx->saved_data["autocast_cpu_dtype"] = static_cast<int64_t>(cpu_dtype);
    ctx->saved_data["autocast_cuda_dtype"] = static_cast<int64_t>(cuda_dtype);
  }
  void apply() const {
    at::autocast::set_autocast_enabled(at::kCPU, cpu_enabled);
    at::autocast::set_autocast_enabled(at::kCUDA, cuda_enabled);
    at::autocast::set_autocast_dtype(at::kCPU, cpu_dtype);
    at::autocast::set_autocast_dtype(at::kCUDA, cuda_dtype);
  }
};

// Enters a captured autocast setting for the lifetime of the guard.
struct AutocastGuard {
  AutocastSetting previous;
  bool nested;
  explicit AutocastGuard(const AutocastSetting &setting) : previous(AutocastSetting::current()) {
    nested = setting.cpu_enabled || setting.cuda_enabled;
    setting.apply();
    if (nested) at::autocast::increment_nesting();
  }
  ~AutocastGuard() {
    if (nested && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    previous.apply();
  }
};

struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext *ctx, at::TensorList inputs,
                                                c10::intrusive_ptr<Closure> closure) {
    ctx->save_for_backward(inputs.vec());
    ctx->saved_data["closure"] = c10::IValue::make_capsule(closure);
    AutocastSetting::current().save(ctx);
    return closure->call(inputs.vec());  // autograd is off inside a custom function's forward
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto closure = c10::static_intrusive_pointer_cast<Closure>(ctx->saved_data["closure"].toCapsule());
    std::vector<at::Tensor> detached;
    for (const auto &t : saved) {
      at::Tensor d = t.detach();
      if (t.requires_grad()) d.requires_grad_(true);
      detached.push_back(d);
    }
    std::vector<at::Tensor> outputs;
    {
      at::AutoGradMode enable(true);
      AutocastGuard autocast(AutocastSetting::from(ctx));
      outputs = closure->call(detached);
      std::vector<at::Tensor> roots, root_grads;
      for (size_t i = 0; i < outputs.size() && i < grads.size(); i++) {
        if (outputs[i].requires_grad() && grads[i].defined()) {
          roots.push_back(outputs[i]);
          root_grads.push_back(grads[i]);
        }
      }
      if (!roots.empty()) torch::autograd::backward(roots, root_grads);
    }
    torch::autograd::variable_list result;
    for (const auto &d : detached) result.push_back(d.requires_grad() ? d.grad() : at::Tensor());
    result.push_back(at::Tensor());  // the closure argument
    return result;
  }
};

}  // namespace

extern "C" {

int ct_checkpoint(ct_checkpoint_fn fn, void *context, void (*release)(void *), const ct_tensor *inputs, int n_inputs,
                  ct_tensor *out, int max_outputs) {
  c10::intrusive_ptr<Closure> closure;
  try {
    closure = c10::make_intrusive<Closure>(fn, context, release, static_cast<int64_t>(max_outputs));
  } catch (...) {
    if (release != nullptr) release(context);
    ctorch::set_error("cannot allocate a checkpoint node");
    return -1;
  }
  CT_GUARD(-1, {
    auto ins = list(inputs, n_inputs);
    auto outs = CheckpointFunction::apply(at::TensorList(ins), closure);
    closure.reset();
    if (static_cast<int>(outs.size()) > max_outputs) throw std::runtime_error("too many checkpoint outputs");
    for (size_t i = 0; i < outs.size(); i++) out[i] = wrap(outs[i]);
    return static_cast<int>(outs.size());
  })
}

}  // extern "C"
