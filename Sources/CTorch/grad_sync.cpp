// Gradient averaging that overlaps the backward pass, as DistributedDataParallel's reducer does: the parameters
// are grouped into buckets (in reverse order, the order in which backward tends to produce their gradients); a hook
// on each parameter copies its gradient into its bucket as soon as autograd has it, and a bucket whose gradients
// are all in is reduced at once, in the background, while backward goes on. Buckets are launched strictly in
// index order, so every rank issues the same collectives in the same order whatever order its hooks run in.
// The group is Gloo (CPU parameters) or NCCL (parameters on its CUDA device; the buckets live there too).
#include "distributed.h"

#include <chrono>
#include <exception>
#include <mutex>

using namespace ctorch;

namespace {
struct Bucket {
  std::vector<size_t> members;  // indices into params
  std::vector<int64_t> offsets;
  at::Tensor flat;
  size_t pending = 0;  // gradients not yet copied in this pass
  c10::intrusive_ptr<c10d::Work> work;
};

struct SyncState {
  c10::intrusive_ptr<c10d::Backend> group;
  std::chrono::milliseconds timeout;
  at::Device device = at::Device(at::kCPU);
  std::vector<at::Tensor> params;
  std::vector<size_t> bucket_of, slot_of;
  std::vector<bool> arrived;
  std::vector<Bucket> buckets;
  size_t next_launch = 0;
  bool armed = false;
  std::exception_ptr failure;
  std::mutex mutex;

  // Launches, in order, every bucket whose gradients are all in (or, with all, every remaining bucket).
  void launch_ready(bool all) {
    while (next_launch < buckets.size() && (all || buckets[next_launch].pending == 0)) {
      std::vector<at::Tensor> io{buckets[next_launch].flat};
      buckets[next_launch].work = group->allreduce(io, c10d::AllreduceOptions());
      next_launch++;
    }
  }

  void on_gradient(size_t index, const at::Tensor &grad) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || failure || arrived[index]) return;
    try {
      Bucket &b = buckets[bucket_of[index]];
      size_t slot = slot_of[index];
      b.flat.narrow(0, b.offsets[slot], params[index].numel()).copy_(grad.reshape({-1}));
      arrived[index] = true;
      b.pending--;
      launch_ready(false);
    } catch (...) {
      failure = std::current_exception();
    }
  }
};
}  // namespace

struct ct_grad_sync_s {
  std::shared_ptr<SyncState> state;
  std::vector<unsigned> hooks;
};

extern "C" {

ct_grad_sync ct_grad_sync_new(ct_process_group pg, const ct_tensor *params, int n, int64_t bucket_bytes) {
  CT_GUARD(nullptr, {
    if (pg == nullptr) throw std::invalid_argument("null process group handle");
    if (bucket_bytes < 1) throw std::invalid_argument("bucket size must be positive");
    auto state = std::make_shared<SyncState>();
    state->group = pg->group;
    state->timeout = pg->timeout;
    state->device = pg->device;
    state->params = list(params, n);
    size_t count = state->params.size();
    state->bucket_of.assign(count, 0);
    state->slot_of.assign(count, 0);
    state->arrived.assign(count, false);
    int64_t bytes = 0;
    for (size_t k = count; k-- > 0;) {
      const at::Tensor &p = state->params[k];
      if (p.device() != state->device || !at::isFloatingType(p.scalar_type()) || !p.requires_grad() || !p.is_leaf()) {
        throw std::invalid_argument("gradient averaging over a " + std::string(state->device.is_cpu() ? "Gloo" : "NCCL") +
                                    " group takes floating-point leaf tensors on " + state->device.str() +
                                    " that require gradients (got one on " + p.device().str() + ")");
      }
      int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
      bool fresh = state->buckets.empty() || bytes + size > bucket_bytes ||
                   state->params[state->buckets.back().members.front()].scalar_type() != p.scalar_type();
      if (fresh) {
        state->buckets.emplace_back();
        bytes = 0;
      }
      Bucket &b = state->buckets.back();
      state->bucket_of[k] = state->buckets.size() - 1;
      state->slot_of[k] = b.members.size();
      b.offsets.push_back(b.members.empty() ? 0 : b.offsets.back() + state->params[b.members.back()].numel());
      b.members.push_back(k);
      bytes += size;
    }
    for (auto &b : state->buckets) {
      int64_t total = b.offsets.back() + state->params[b.members.back()].numel();
      b.flat = at::zeros({total}, state->params[b.members.front()].options().requires_grad(false));
    }
    auto sync = new ct_grad_sync_s{state, {}};
    for (size_t k = 0; k < count; k++) {
      std::weak_ptr<SyncState> weak = state;
      sync->hooks.push_back(state->params[k].register_hook([weak, k](const at::Tensor &grad) {
        if (auto s = weak.lock()) s->on_gradient(k, grad);
      }));
    }
    return sync;
  })
}

void ct_grad_sync_free(ct_grad_sync s) {
  if (s == nullptr) return;
  try {
    for (size_t k = 0; k < s->hooks.size(); k++) s->state->params[k].remove_hook(s->hooks[k]);
  } catch (...) {
  }
  delete s;
}

int ct_grad_sync_prepare(ct_grad_sync s) {
  CT_STATUS({
    if (s == nullptr) throw std::invalid_argument("null gradient sync handle");
    auto &st = *s->state;
    std::lock_guard<std::mutex> lock(st.mutex);
    if (st.armed) throw std::logic_error("gradient averaging prepared twice without finishing");
    for (auto &b : st.buckets) {
      b.flat.zero_();
      b.pending = b.members.size();
      b.work.reset();
    }
    std::fill(st.arrived.begin(), st.arrived.end(), false);
    st.next_launch = 0;
    st.failure = nullptr;
    st.armed = true;
  })
}

void ct_grad_sync_abort(ct_grad_sync s) {
  if (s == nullptr) return;
  std::lock_guard<std::mutex> lock(s->state->mutex);
  s->state->armed = false;
}

int ct_grad_sync_finish(ct_grad_sync s, double scale, double *wait_seconds) {
  CT_STATUS({
    if (s == nullptr) throw std::invalid_argument("null gradient sync handle");
    auto &st = *s->state;
    std::lock_guard<std::mutex> lock(st.mutex);
    if (!st.armed) throw std::logic_error("gradient averaging finished without being prepared");
    st.armed = false;
    if (st.failure) std::rethrow_exception(st.failure);
    // Parameters that got no gradient on this rank count as zeros (another rank may have one); one more reduction
    // counts the ranks that had one, so that a parameter no rank used keeps no gradient, as in one process.
    st.launch_ready(true);
    at::Tensor used = at::zeros({static_cast<int64_t>(st.params.size())}, at::kFloat);
    auto flags = used.accessor<float, 1>();
    for (size_t k = 0; k < st.params.size(); k++) flags[k] = st.arrived[k] ? 1.0f : 0.0f;
    if (!st.device.is_cpu()) used = used.to(st.device);
    std::vector<at::Tensor> io{used};
    auto counted = st.group->allreduce(io, c10d::AllreduceOptions());
    auto started = std::chrono::steady_clock::now();
    for (auto &b : st.buckets) b.work->wait(st.timeout);
    counted->wait(st.timeout);
    // NCCL's wait only orders this thread's stream after the reductions: copying the counts to the CPU waits for
    // them all, so the time measured is the communication backward did not hide, as with Gloo.
    if (!st.device.is_cpu()) used = used.to(at::kCPU);
    auto users = used.accessor<float, 1>();
    if (wait_seconds != nullptr) {
      *wait_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    at::NoGradGuard no_grad;
    for (auto &b : st.buckets) {
      if (scale != 1.0) b.flat.mul_(scale);
      for (size_t slot = 0; slot < b.members.size(); slot++) {
        at::Tensor &p = st.params[b.members[slot]];
        if (users[b.members[slot]] == 0.0f) continue;
        at::Tensor mean = b.flat.narrow(0, b.offsets[slot], p.numel()).view(p.sizes());
        if (p.grad().defined()) {
          p.mutable_grad().copy_(mean);
        } else {
          p.mutable_grad() = mean.clone();
        }
      }
    }
  })
}

}  // extern "C"
