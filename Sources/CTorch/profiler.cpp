// libtorch's operator profiler (Kineto, CPU activities): every ATen operator call between start and stop is
// recorded with its thread, start and duration, and written as a Chrome trace (chrome://tracing, Perfetto).
#include "internal.h"

#include <mutex>
#include <torch/csrc/autograd/profiler_kineto.h>

namespace {
// Kineto keeps one session per process and does not refuse a second start: a nested start replaced the session,
// and the outer stop then saved a result without a trace (a null dereference). One recording at a time, checked here.
std::mutex recording_mutex;
bool recording = false;
}  // namespace

extern "C" {

int ct_profiler_start(int record_shapes) {
  CT_STATUS({
    std::lock_guard<std::mutex> lock(recording_mutex);
    if (recording) throw std::runtime_error("the operator profiler is already recording in this process");
    using namespace torch::profiler::impl;
    ProfilerConfig config(ProfilerState::KINETO, record_shapes != 0);
    std::set<ActivityType> activities{ActivityType::CPU};
    torch::autograd::profiler::prepareProfiler(config, activities);
    torch::autograd::profiler::enableProfiler(config, activities);
    recording = true;
  })
}

int ct_profiler_stop(const char *trace_path) {
  CT_STATUS({
    std::lock_guard<std::mutex> lock(recording_mutex);
    if (!recording) throw std::runtime_error("the operator profiler is not recording");
    recording = false;
    auto result = torch::autograd::profiler::disableProfiler();
    if (result == nullptr) throw std::runtime_error("the operator profiler returned no result");
    if (trace_path != nullptr) result->save(trace_path);
  })
}
}
