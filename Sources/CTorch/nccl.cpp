// The NCCL process group of data-parallel training on CUDA: c10d::ProcessGroupNCCL (libtorch_cuda), formed on the
// same TCPStore rendezvous as the Gloo group and used through c10d::Backend by the collectives of distributed.cpp
// and grad_sync.cpp, so the Swift side is the same for both.
//
// Only a build with DIMR_NCCL defined compiles it in (scripts/build-cuda.sh: DIMR_CUDA=1 DIMR_NCCL=1 against the
// CUDA build of libtorch, with the CUDA runtime, cuBLAS, cuSPARSE, cuSOLVER and NCCL headers of NVIDIA's wheels,
// which ProcessGroupNCCL.hpp pulls in). Every other build has the same entry points, failing with a message.
#include "distributed.h"

#ifdef DIMR_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#if !__has_include(<nccl.h>) || !__has_include(<cuda_runtime_api.h>)
#error "DIMR_NCCL needs the CUDA and NCCL headers: build with scripts/build-cuda.sh"
#endif
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <string>

using namespace ctorch;

namespace {
#ifdef DIMR_NCCL
// The CUDA device `index`, after checking that this process sees it.
at::Device cuda_device(int index) {
  if (!at::hasCUDA()) {
    throw std::runtime_error("no CUDA device cuda:" + std::to_string(index) +
                             ": libtorch sees no CUDA device on this machine (no GPU, or no NVIDIA driver)");
  }
  int count = static_cast<int>(c10::cuda::device_count());
  if (index < 0 || index >= count) {
    throw std::runtime_error("no CUDA device cuda:" + std::to_string(index) + ": this machine shows " + std::to_string(count) +
                             " CUDA device" + (count == 1 ? "" : "s") +
                             " (one process per GPU: LOCAL_RANK must be below the GPU count)");
  }
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}
#endif
}  // namespace

extern "C" {

int ct_nccl_version(void) {
#ifdef DIMR_NCCL
  return static_cast<int>(NCCL_VERSION_CODE);
#else
  return 0;
#endif
}

ct_process_group ct_process_group_nccl(ct_store s, const char *key_prefix, int rank, int size, int device, int64_t timeout_ms) {
  CT_GUARD(nullptr, {
#ifndef DIMR_NCCL
    (void)s, (void)key_prefix, (void)rank, (void)size, (void)device, (void)timeout_ms;
    throw std::runtime_error("this dimr was built without CUDA/NCCL; build with scripts/build-cuda.sh");
#else
    if (size < 1 || rank < 0 || rank >= size) {
      throw std::invalid_argument("rank " + std::to_string(rank) + " is outside a group of " + std::to_string(size));
    }
    if (timeout_ms <= 0) throw std::invalid_argument("the group needs a positive timeout");
    auto store = c10::intrusive_ptr<c10d::Store>(s == nullptr ? nullptr : s->store);
    if (!store) throw std::invalid_argument("null store handle");
    if (key_prefix != nullptr && key_prefix[0] != 0) store = c10::make_intrusive<c10d::PrefixStore>(key_prefix, store);
    at::Device where = cuda_device(device);
    // One GPU per process: later CUDA work of this thread (the model, its batches) goes to this device by default.
    c10::cuda::set_device(where.index());
    auto timeout = std::chrono::milliseconds(timeout_ms);
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    auto group = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
    // As torch.distributed.init_process_group(device_id=...): bind the group to its device and create the
    // communicator now, so that a rank that cannot join fails here rather than in the first step.
    group->setBoundDeviceId(where);
    group->eagerConnectSingleDevice(where);
    return new ct_process_group_s{std::move(group), timeout, where};
#endif
  })
}

}  // extern "C"
