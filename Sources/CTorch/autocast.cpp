// Mixed precision: libtorch's autocast state (what `torch.autocast` sets) and the CPU features that make
// bfloat16 arithmetic fast.
#include "internal.h"

#include <ATen/autocast_mode.h>
#include <ATen/cpu/Utils.h>

using namespace ctorch;

namespace {
at::DeviceType autocast_device(int device_type) {
  if (device_type == 0) return at::kCPU;
  if (device_type == 1) return at::kCUDA;
  throw std::invalid_argument("unknown device type " + std::to_string(device_type));
}
}  // namespace

extern "C" {

int ct_autocast_enter(int device_type, int enabled, int dtype, ct_autocast_state *saved) {
  CT_STATUS({
    if (saved == nullptr) throw std::invalid_argument("null autocast state");
    auto type = static_cast<at::ScalarType>(dtype);
    if (type != at::kBFloat16 && type != at::kHalf) throw std::invalid_argument("autocast takes bfloat16 or float16");
    at::DeviceType device = autocast_device(device_type);
    saved->device_type = device_type;
    saved->enabled = at::autocast::is_autocast_enabled(device) ? 1 : 0;
    saved->dtype = static_cast<int>(at::autocast::get_autocast_dtype(device));
    saved->cache_enabled = at::autocast::is_autocast_cache_enabled() ? 1 : 0;
    at::autocast::set_autocast_enabled(device, enabled != 0);
    if (enabled != 0) at::autocast::set_autocast_dtype(device, type);
    at::autocast::set_autocast_cache_enabled(true);
    at::autocast::increment_nesting();
  })
}

int ct_autocast_exit(const ct_autocast_state *saved) {
  CT_STATUS({
    if (saved == nullptr) throw std::invalid_argument("null autocast state");
    at::DeviceType device = autocast_device(saved->device_type);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device, saved->enabled != 0);
    at::autocast::set_autocast_dtype(device, static_cast<at::ScalarType>(saved->dtype));
    at::autocast::set_autocast_cache_enabled(saved->cache_enabled != 0);
  })
}

int ct_autocast_enabled(int device_type) {
  CT_GUARD(-1, return at::autocast::is_autocast_enabled(autocast_device(device_type)) ? 1 : 0;)
}

int ct_cpu_capability(const char *name) {
  CT_GUARD(-1, {
    if (name == nullptr) throw std::invalid_argument("null capability name");
    auto capabilities = at::cpu::get_cpu_capabilities();
    auto found = capabilities.find(name);
    if (found == capabilities.end() || !found->second.isBool()) return 0;
    return found->second.toBool() ? 1 : 0;
  })
}

}  // extern "C"
