// Data-parallel plumbing on c10d, the engine of torch.distributed: a TCPStore for the rendezvous and a Gloo
// process group for the collectives, both compiled into libtorch_cpu. The collectives below go through
// c10d::Backend, so they serve the NCCL group of nccl.cpp (CUDA builds) as well.
//
// ProcessGroupGloo.hpp includes gloo's own headers, which the PyTorch wheel lacks; Debian's libgloo-dev provides
// them (scripts/setup.sh installs it). Nothing of gloo is linked from Debian: this file only names gloo types
// through pointers, and uses ProcessGroupGloo through its constructor, destructor and the virtual functions of
// c10d::Backend, all compiled into libtorch. What the two gloo versions could disagree on is therefore only
// sizeof(ProcessGroupGloo), which ct_gloo_layout_check tests (Tests/TorchTests/ProcessGroupTests).
#include "distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>

#include <cstdlib>
#include <cstring>
#include <new>

using namespace ctorch;

namespace {
c10d::TCPStore &S(ct_store s) {
  if (s == nullptr) throw std::invalid_argument("null store handle");
  return *s->store;
}
ct_process_group_s &G(ct_process_group pg) {
  if (pg == nullptr) throw std::invalid_argument("null process group handle");
  return *pg;
}
std::string key_string(const char *key) {
  if (key == nullptr) throw std::invalid_argument("null store key");
  return std::string(key);
}

// Checks that a collective of a group on `device` can take `t`: Gloo (CPU) takes CPU tensors; NCCL takes tensors on
// its CUDA device, and CPU tensors, which are copied there and back.
void check_device(const at::Tensor &t, const at::Device &device) {
  if (device.is_cpu()) {
    if (!t.device().is_cpu()) throw std::invalid_argument("the Gloo process group takes CPU tensors, got one on " + t.device().str());
  } else if (!t.device().is_cpu() && t.device() != device) {
    throw std::invalid_argument("the NCCL process group on " + device.str() + " takes tensors on " + device.str() +
                                " (or CPU tensors), got one on " + t.device().str());
  }
}

// Runs the collective `launch` over buckets of `tensors` (consecutive tensors of one dtype and device, at most
// `cap` bytes per bucket unless a single tensor is larger), packing each bucket into one flat tensor on the group's
// `device`; `finish` unpacks a completed bucket.
template <typename Launch, typename Finish>
void bucketed(const std::vector<at::Tensor> &tensors, int64_t cap, Launch launch, Finish finish,
              std::chrono::milliseconds timeout, const at::Device &device) {
  struct Pending {
    std::vector<at::Tensor> members;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Pending> pending;
  std::vector<at::Tensor> members;
  int64_t bytes = 0;
  auto flush = [&]() {
    if (members.empty()) return;
    std::vector<at::Tensor> flats;
    flats.reserve(members.size());
    for (auto &m : members) flats.push_back(m.detach().reshape({-1}));
    at::Tensor flat = at::cat(flats);
    if (flat.device() != device) flat = flat.to(device);
    std::vector<at::Tensor> io{flat};
    auto work = launch(io);
    pending.push_back(Pending{std::move(members), flat, work});
    members.clear();
    bytes = 0;
  };
  for (const auto &t : tensors) {
    if (!t.defined()) throw std::invalid_argument("undefined tensor in a collective");
    check_device(t, device);
    int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    const at::Tensor &first = members.empty() ? t : members.front();
    if (!members.empty() && (first.scalar_type() != t.scalar_type() || first.device() != t.device() || bytes + size > cap)) {
      flush();
    }
    members.push_back(t);
    bytes += size;
  }
  flush();
  for (auto &p : pending) {
    p.work->wait(timeout);
    int64_t offset = 0;
    for (auto &m : p.members) {
      finish(m, p.flat.narrow(0, offset, m.numel()).view(m.sizes()));
      offset += m.numel();
    }
  }
}
}  // namespace

extern "C" {

ct_store ct_store_tcp(const char *host, int port, int is_server, int64_t timeout_ms) {
  CT_GUARD(nullptr, {
    if (host == nullptr) throw std::invalid_argument("null store host");
    if (port < 0 || port > 65535) throw std::invalid_argument("store port " + std::to_string(port) + " is outside 0...65535");
    if (port == 0 && is_server == 0) throw std::invalid_argument("a store client needs the server's port");
    if (timeout_ms <= 0) throw std::invalid_argument("the store timeout must be positive");
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = is_server != 0;
    options.waitWorkers = false;
    options.timeout = std::chrono::milliseconds(timeout_ms);
    return new ct_store_s{c10::make_intrusive<c10d::TCPStore>(std::string(host), options)};
  })
}

void ct_store_free(ct_store s) { delete s; }

int ct_store_port(ct_store s) { CT_GUARD(-1, return static_cast<int>(S(s).getPort());) }

int ct_store_set(ct_store s, const char *key, const void *data, size_t n) {
  CT_STATUS({
    if (data == nullptr && n > 0) throw std::invalid_argument("null store value");
    const auto *bytes = static_cast<const std::uint8_t *>(data);
    S(s).set(key_string(key), std::vector<std::uint8_t>(bytes, bytes + n));
  })
}

int ct_store_get(ct_store s, const char *key, int64_t timeout_ms, void *out, size_t cap, size_t *length) {
  CT_STATUS({
    if (length == nullptr || (out == nullptr && cap > 0)) throw std::invalid_argument("null store output");
    std::string k = key_string(key);
    S(s).wait({k}, std::chrono::milliseconds(timeout_ms));
    std::vector<std::uint8_t> value = S(s).get(k);
    *length = value.size();
    if (!value.empty() && cap > 0) std::memcpy(out, value.data(), std::min(cap, value.size()));
  })
}

int ct_store_check(ct_store s, const char *key) { CT_GUARD(-1, return S(s).check({key_string(key)}) ? 1 : 0;) }

int ct_store_add(ct_store s, const char *key, int64_t delta, int64_t *value) {
  CT_STATUS({
    if (value == nullptr) throw std::invalid_argument("null store output");
    *value = S(s).add(key_string(key), delta);
  })
}

ct_process_group ct_process_group_gloo(ct_store s, const char *key_prefix, int rank, int size, const char *interface,
                                       const char *hostname, int64_t timeout_ms, int threads) {
  CT_GUARD(nullptr, {
    if (size < 1 || rank < 0 || rank >= size) {
      throw std::invalid_argument("rank " + std::to_string(rank) + " is outside a group of " + std::to_string(size));
    }
    if (timeout_ms <= 0 || threads < 1) throw std::invalid_argument("the group needs a positive timeout and threads");
    auto store = c10::intrusive_ptr<c10d::Store>(s == nullptr ? nullptr : s->store);
    if (!store) throw std::invalid_argument("null store handle");
    if (key_prefix != nullptr && key_prefix[0] != 0) store = c10::make_intrusive<c10d::PrefixStore>(key_prefix, store);
    auto timeout = std::chrono::milliseconds(timeout_ms);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (interface != nullptr && interface[0] != 0) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else if (hostname != nullptr && hostname[0] != 0) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = threads;
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
    return new ct_process_group_s{std::move(group), timeout, at::Device(at::kCPU)};
  })
}

void ct_process_group_free(ct_process_group pg) {
  if (pg == nullptr) return;
  if (pg->device.is_cuda()) {  // NCCL: stop its watchdog and release the communicator before the group goes
    try {
      pg->group->shutdown();
    } catch (...) {
    }
  }
  delete pg;
}

int ct_process_group_allreduce(ct_process_group pg, const ct_tensor *ts, int n, double scale, int64_t bucket_bytes) {
  CT_STATUS({
    auto &group = G(pg);
    if (bucket_bytes < 1) throw std::invalid_argument("bucket size must be positive");
    std::vector<at::Tensor> tensors = list(ts, n);
    for (const auto &t : tensors) {
      if (!t.is_contiguous()) throw std::invalid_argument("allreduce takes contiguous tensors");
      if (!at::isFloatingType(t.scalar_type())) throw std::invalid_argument("allreduce takes floating-point tensors");
    }
    at::NoGradGuard no_grad;
    bucketed(
        tensors, bucket_bytes,
        [&](std::vector<at::Tensor> &io) { return group.group->allreduce(io, c10d::AllreduceOptions()); },
        [&](at::Tensor &target, const at::Tensor &sum) {
          if (scale == 1.0) target.copy_(sum); else target.copy_(sum.mul(scale));
        },
        group.timeout, group.device);
  })
}

int ct_process_group_broadcast(ct_process_group pg, const ct_tensor *ts, int n, int root, int64_t bucket_bytes) {
  CT_STATUS({
    auto &group = G(pg);
    if (bucket_bytes < 1) throw std::invalid_argument("bucket size must be positive");
    if (root < 0 || root >= group.group->getSize()) throw std::invalid_argument("broadcast root outside the group");
    std::vector<at::Tensor> tensors = list(ts, n);
    at::NoGradGuard no_grad;
    c10d::BroadcastOptions options;
    options.rootRank = root;
    bucketed(
        tensors, bucket_bytes, [&](std::vector<at::Tensor> &io) { return group.group->broadcast(io, options); },
        [&](at::Tensor &target, const at::Tensor &value) { target.copy_(value); }, group.timeout, group.device);
  })
}

int ct_process_group_barrier(ct_process_group pg) {
  CT_STATUS({
    auto &group = G(pg);
    group.group->barrier(c10d::BarrierOptions())->wait(group.timeout);
  })
}

int ct_gloo_layout_check(ct_store s, int64_t guard_bytes) {
  CT_GUARD(-1, {
    if (s == nullptr) throw std::invalid_argument("null store handle");
    if (guard_bytes < 1 || guard_bytes > (1 << 20)) throw std::invalid_argument("guard size outside 1...1 MiB");
    const size_t size = sizeof(c10d::ProcessGroupGloo);
    const size_t total = size + static_cast<size_t>(guard_bytes);
    const size_t align = alignof(c10d::ProcessGroupGloo) < 64 ? 64 : alignof(c10d::ProcessGroupGloo);
    void *buffer = std::aligned_alloc(align, (total + align - 1) / align * align);
    if (buffer == nullptr) throw std::bad_alloc();
    auto *bytes = static_cast<unsigned char *>(buffer);
    std::memset(bytes, 0xA5, total);
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(30000));
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    options->threads = 1;
    c10d::ProcessGroupGloo *group = nullptr;
    try {
      group = new (buffer) c10d::ProcessGroupGloo(c10::intrusive_ptr<c10d::Store>(s->store), 0, 1, options);
    } catch (...) {
      std::free(buffer);
      throw;
    }
    bool intact = true;
    for (size_t i = size; i < total; i++) intact = intact && bytes[i] == 0xA5;
    group->~ProcessGroupGloo();
    std::free(buffer);
    return intact ? 1 : 0;
  })
}

}  // extern "C"
