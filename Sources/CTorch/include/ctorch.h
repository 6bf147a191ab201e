// C ABI over libtorch. The only header Swift sees; no C++ crosses it.
//
// Conventions:
// - Every tensor handle returned by a function is new and owned by the caller,
//   who frees it exactly once with ct_free.
// - No C++ exception leaves this library. A failing call records libtorch's
//   message (read it with ct_last_error) and returns a sentinel: NULL for
//   handles, -1 for status codes.
// - dtype codes are c10::ScalarType values; device_type 0 = CPU, 1 = CUDA.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_s *ct_tensor;
typedef struct ct_generator_s *ct_generator;

// ---- errors, runtime ----
const char *ct_last_error(void);
void ct_clear_error(void);
const char *ct_torch_version(void);
int ct_cuda_is_available(void);
int ct_cuda_device_count(void);
int ct_get_num_threads(void);
void ct_set_num_threads(int n);
void ct_set_allow_tf32(int allow);
int ct_grad_enabled(void);
void ct_set_grad_enabled(int enabled);
void ct_manual_seed(uint64_t seed);
int ct_cuda_synchronize(void);

// ---- lifetime and metadata ----
void ct_free(ct_tensor t);
int ct_dim(ct_tensor t);
int ct_sizes(ct_tensor t, int64_t *out);
int ct_strides(ct_tensor t, int64_t *out);
int64_t ct_numel(ct_tensor t);
int ct_dtype(ct_tensor t);
int ct_device_type(ct_tensor t);
int ct_device_index(ct_tensor t);
int ct_defined(ct_tensor t);

// ---- creation ----
ct_tensor ct_empty(const int64_t *dims, int ndim, int dtype, int dev_type, int dev_index);
ct_tensor ct_full(const int64_t *dims, int ndim, double value, int dtype, int dev_type, int dev_index);
ct_tensor ct_arange(double start, double end, double step, int dtype, int dev_type, int dev_index);
ct_tensor ct_linspace(double start, double end, int64_t steps, int dtype, int dev_type, int dev_index);
ct_tensor ct_from_bytes(const void *data, size_t nbytes, const int64_t *dims, int ndim, int dtype);
int ct_copy_to_bytes(ct_tensor t, void *out, size_t nbytes);
// The bytes of a non-empty contiguous CPU tensor, valid while the tensor lives; NULL on error.
void *ct_data_ptr(ct_tensor t);
ct_tensor ct_scalar_tensor(double value, int dtype);
int ct_item_double(ct_tensor t, double *out);
int ct_item_int64(ct_tensor t, int64_t *out);

// ---- random ----
ct_generator ct_generator_new(uint64_t seed);
ct_generator ct_generator_default(void);
void ct_generator_free(ct_generator g);
int ct_generator_seed(ct_generator g, uint64_t seed);
ct_tensor ct_generator_get_state(ct_generator g);
int ct_generator_set_state(ct_generator g, ct_tensor state);
ct_tensor ct_randn(const int64_t *dims, int ndim, int dtype, ct_generator g, int dev_type, int dev_index);
ct_tensor ct_rand(const int64_t *dims, int ndim, int dtype, ct_generator g, int dev_type, int dev_index);
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *dims, int ndim, ct_generator g, int dev_type, int dev_index);
ct_tensor ct_randperm(int64_t n, ct_generator g);
ct_tensor ct_bernoulli(ct_tensor probs, ct_generator g);
int ct_normal_(ct_tensor t, double mean, double std, ct_generator g);
int ct_uniform_(ct_tensor t, double from, double to, ct_generator g);

// ---- elementwise ----
// op codes for ct_binary / ct_binary_scalar
enum {
  CT_ADD = 0, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_AND, CT_OR, CT_RSUB, CT_RDIV, CT_FMOD, CT_ATAN2
};
ct_tensor ct_binary(int op, ct_tensor a, ct_tensor b);
ct_tensor ct_binary_scalar(int op, ct_tensor a, double s);
// op codes for ct_unary
enum {
  CT_NEG = 0, CT_EXP, CT_LOG, CT_SQRT, CT_RSQRT, CT_SIN, CT_COS, CT_ERF, CT_SIGMOID, CT_SILU,
  CT_GELU, CT_GELU_TANH, CT_RELU, CT_TANH, CT_ABS, CT_SQUARE, CT_FLOOR, CT_CEIL, CT_ROUND, CT_SIGN,
  CT_LOG1P, CT_EXPM1, CT_NOT, CT_ISNAN, CT_ISFINITE, CT_RECIPROCAL, CT_ISINF, CT_LOG2
};
ct_tensor ct_unary(int op, ct_tensor a);
ct_tensor ct_where(ct_tensor cond, ct_tensor a, ct_tensor b);
ct_tensor ct_clamp(ct_tensor a, int has_min, double min, int has_max, double max);
ct_tensor ct_addcmul(ct_tensor input, ct_tensor t1, ct_tensor t2, double value);
ct_tensor ct_lerp(ct_tensor a, ct_tensor b, double weight);
ct_tensor ct_softmax(ct_tensor a, int64_t dim);
ct_tensor ct_log_softmax(ct_tensor a, int64_t dim);

// ---- reductions (ndims = 0 reduces all) ----
enum { CT_SUM = 0, CT_MEAN, CT_AMAX, CT_AMIN, CT_PROD, CT_ALL, CT_ANY, CT_LOGSUMEXP };
ct_tensor ct_reduce(int op, ct_tensor a, const int64_t *dims, int ndims, int keepdim);
ct_tensor ct_var(ct_tensor a, const int64_t *dims, int ndims, double correction, int keepdim);
ct_tensor ct_norm(ct_tensor a, double p, const int64_t *dims, int ndims, int keepdim);
ct_tensor ct_argmax(ct_tensor a, int64_t dim, int keepdim);
ct_tensor ct_argmin(ct_tensor a, int64_t dim, int keepdim);
ct_tensor ct_cumsum(ct_tensor a, int64_t dim);
ct_tensor ct_cumprod(ct_tensor a, int64_t dim);
int ct_allclose(ct_tensor a, ct_tensor b, double rtol, double atol);

// ---- linear algebra ----
ct_tensor ct_matmul(ct_tensor a, ct_tensor b);
ct_tensor ct_bmm(ct_tensor a, ct_tensor b);
ct_tensor ct_baddbmm(ct_tensor input, ct_tensor b1, ct_tensor b2, double beta, double alpha);
ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b /* nullable */);

// ---- neural network ops ----
ct_tensor ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride, const int64_t *padding,
                    const int64_t *dilation, int64_t groups);
ct_tensor ct_conv_transpose2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride, const int64_t *padding,
                              const int64_t *output_padding, const int64_t *dilation, int64_t groups);
ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding);
ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, int64_t h, int64_t w);
ct_tensor ct_upsample_nearest2d(ct_tensor x, int64_t h, int64_t w);
ct_tensor ct_upsample_bilinear2d(ct_tensor x, int64_t h, int64_t w, int align_corners);
ct_tensor ct_layer_norm(ct_tensor x, const int64_t *shape, int nshape, ct_tensor w, ct_tensor b, double eps);
ct_tensor ct_group_norm(ct_tensor x, int64_t groups, ct_tensor w, ct_tensor b, double eps);
ct_tensor ct_embedding(ct_tensor weight, ct_tensor indices);
ct_tensor ct_sdpa(ct_tensor q, ct_tensor k, ct_tensor v, ct_tensor mask, double dropout, int causal,
                  int has_scale, double scale);
ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction, int64_t ignore_index,
                           double label_smoothing);
ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int reduction);
ct_tensor ct_dropout(ct_tensor x, double p, int train);
ct_tensor ct_pad(ct_tensor x, const int64_t *pad, int npad, double value);

// ---- shape ----
ct_tensor ct_reshape(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_view(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_permute(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_transpose(ct_tensor a, int64_t d0, int64_t d1);
ct_tensor ct_contiguous(ct_tensor a);
ct_tensor ct_expand(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_repeat(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_squeeze(ct_tensor a, int64_t dim);
ct_tensor ct_unsqueeze(ct_tensor a, int64_t dim);
ct_tensor ct_flatten(ct_tensor a, int64_t start, int64_t end);
ct_tensor ct_narrow(ct_tensor a, int64_t dim, int64_t start, int64_t length);
ct_tensor ct_as_strided(ct_tensor a, const int64_t *sizes, const int64_t *strides, int ndim, int64_t offset);
ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index);
ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor index);
ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor index);
ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double value);
ct_tensor ct_flip(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim);
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim);
int ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out);
int ct_split(ct_tensor a, const int64_t *sizes, int n, int64_t dim, ct_tensor *out);

// ---- conversion, copies ----
ct_tensor ct_to(ct_tensor a, int dtype, int dev_type, int dev_index, int copy);
ct_tensor ct_clone(ct_tensor a);
ct_tensor ct_detach(ct_tensor a);
ct_tensor ct_shallow_copy(ct_tensor a);

// ---- in place (return 0 on success) ----
int ct_copy_(ct_tensor dst, ct_tensor src);
int ct_fill_(ct_tensor t, double value);
int ct_zero_(ct_tensor t);
int ct_add_(ct_tensor t, ct_tensor other, double alpha);
int ct_mul_scalar_(ct_tensor t, double s);
int ct_lerp_(ct_tensor t, ct_tensor end, double weight);

// ---- autograd ----
int ct_requires_grad(ct_tensor t);
int ct_set_requires_grad(ct_tensor t, int value);
int ct_is_leaf(ct_tensor t);
int ct_backward(ct_tensor t, ct_tensor grad /* nullable */, int retain_graph);
// Returns NULL with no error when the tensor has no gradient; check ct_last_error to tell apart.
ct_tensor ct_grad(ct_tensor t);
int ct_set_grad(ct_tensor t, ct_tensor grad /* nullable: clears */);
// Gradients of outputs w.r.t. inputs without touching .grad; out receives n_inputs handles (NULL where unused).
int ct_autograd_grad(const ct_tensor *outputs, int n_out, const ct_tensor *grad_outputs,
                     const ct_tensor *inputs, int n_in, int retain_graph, int create_graph, ct_tensor *out);

// ---- optimizers (fused loops over PyTorch's exact formulas) ----
// One AdamW step for one parameter; the step count is the post-increment value (1 on the first step).
int ct_adamw_step(ct_tensor param, ct_tensor grad, ct_tensor exp_avg, ct_tensor exp_avg_sq, double lr, double beta1,
                  double beta2, double eps, double weight_decay, int64_t step);
// Scales all gradients so that their total L2 norm is at most max_norm; writes the norm before clipping.
int ct_clip_grad_norm(const ct_tensor *grads, int n, double max_norm, double *total_norm);

// ---- mixed precision ----
// The autocast setting of one device type, as ct_autocast_enter found it.
typedef struct {
  int device_type;
  int enabled;
  int dtype;
  int cache_enabled;
} ct_autocast_state;
// Like entering `torch.autocast(device, dtype, enabled)` on this thread: when enabled, matrix multiplies,
// convolutions and attention on tensors of device_type (0 CPU, 1 CUDA) run in dtype (bfloat16 or float16),
// casting float32 inputs (casts of leaf tensors that require a gradient, i.e. weights, are cached until the
// outermost scope ends); when not, they run in their inputs' type until the scope ends. Records the previous
// setting in *saved; pair every successful call with ct_autocast_exit(saved).
int ct_autocast_enter(int device_type, int enabled, int dtype, ct_autocast_state *saved);
// Restores the setting *saved; leaving the outermost scope drops the cache of cast weights.
int ct_autocast_exit(const ct_autocast_state *saved);
// 1 when autocast is on for device_type on this thread, 0 when off, -1 on error.
int ct_autocast_enabled(int device_type);
// 1 when the CPU has the named capability in libtorch's cpuinfo table (e.g. "avx512_bf16", "amx_bf16"),
// 0 when it lacks it or the name is unknown, -1 on error.
int ct_cpu_capability(const char *name);

// ---- benchmark helpers: the same small ops timed in C++ (nanoseconds per call) ----
double ct_bench_add(ct_tensor a, ct_tensor b, int64_t iters);
double ct_bench_layer_norm(ct_tensor x, int64_t iters);
double ct_bench_matmul(ct_tensor a, ct_tensor b, int64_t iters);

// ---- NN area: weight initialisation ----
// Truncated normal by the inverse-CDF method of timm's trunc_normal_ (uniform in [2l-1, 2u-1], erfinv, scale,
// shift, clamp to [a, b]), which the DiMR authors call; torch 2.13's nn.init.trunc_normal_ rejection-samples instead.
int ct_trunc_normal_(ct_tensor t, double mean, double std, double a, double b, ct_generator g);

// ---- DiMR area: gradient checkpointing ----
// A function of tensors recomputed in the backward pass. It receives borrowed input handles and writes at most
// max_outputs new handles (owned by the caller) into outputs; it returns the output count, or -1 after writing a
// NUL-terminated message of at most error_capacity bytes into error.
typedef int (*ct_checkpoint_fn)(void *context, const ct_tensor *inputs, int n_inputs, ct_tensor *outputs,
                                int max_outputs, char *error, int error_capacity);
// Runs fn without recording autograd history and returns its outputs (written into out, at most max_outputs;
// returns the count or -1) attached to one autograd node. Its backward pass re-runs fn with history on detached
// inputs and back-propagates through that graph (parameters used by fn receive their gradients there), like
// torch.utils.checkpoint's reentrant variant. release(context) is called once the node is freed (also on error).
int ct_checkpoint(ct_checkpoint_fn fn, void *context, void (*release)(void *context), const ct_tensor *inputs,
                  int n_inputs, ct_tensor *out, int max_outputs);

// ---- evaluation area: pooling options, batch norm, symmetric eigendecomposition ----
// Max pooling over (N, C, H, W), as F.max_pool2d (kernel, stride, padding, dilation: 2 values each).
ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        const int64_t *dilation, int ceil_mode);
// Average pooling with F.avg_pool2d's ceil_mode and count_include_pad.
ct_tensor ct_avg_pool2d_ex(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                           int ceil_mode, int count_include_pad);
// F.batch_norm: in training, normalises by the batch statistics and updates the running ones in place
// (running_mean, running_var nullable); otherwise normalises by the running statistics.
ct_tensor ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean,
                        ct_tensor running_var, int training, double momentum, double eps);
// torch.linalg.eigh of a symmetric (batch of) matrix: ascending eigenvalues and orthonormal eigenvectors
// (columns), reading the upper (upper != 0) or lower triangle. Returns 0, or -1 with both outputs untouched.
int ct_linalg_eigh(ct_tensor a, int upper, ct_tensor *eigenvalues, ct_tensor *eigenvectors);
// torch.linalg.eigvalsh: the ascending eigenvalues only.
ct_tensor ct_linalg_eigvalsh(ct_tensor a, int upper);
// torch.kthvalue: the k-th smallest (1-based) along dim, with its index.
int ct_kthvalue(ct_tensor a, int64_t k, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices);
// torch.diagonal (a view).
ct_tensor ct_diagonal(ct_tensor a, int64_t offset, int64_t dim1, int64_t dim2);
// torch.eye(n).
ct_tensor ct_eye(int64_t n, int dtype, int dev_type, int dev_index);

// ---- distributed (c10d: TCPStore rendezvous, Gloo or NCCL process group) ----
typedef struct ct_store_s *ct_store;
typedef struct ct_process_group_s *ct_process_group;
// A c10d::TCPStore at host:port. The server (is_server != 0) listens there (port 0: a free port, read it with
// ct_store_port) and holds the keys; clients connect, trying for up to timeout_ms. Waits on keys use timeout_ms.
ct_store ct_store_tcp(const char *host, int port, int is_server, int64_t timeout_ms);
void ct_store_free(ct_store s);
// The port the store listens on (server) or connects to (client); -1 on error.
int ct_store_port(ct_store s);
// Sets key to the n bytes at data.
int ct_store_set(ct_store s, const char *key, const void *data, size_t n);
// Waits up to timeout_ms for key, then copies at most cap bytes of its value to out and writes the full
// length to *length; -1 on error (a timeout among them).
int ct_store_get(ct_store s, const char *key, int64_t timeout_ms, void *out, size_t cap, size_t *length);
// 1 when key is set, 0 when not, -1 on error.
int ct_store_check(ct_store s, const char *key);
// Adds delta to the integer at key (created as 0) and writes the result to *value.
int ct_store_add(ct_store s, const char *key, int64_t delta, int64_t *value);
// A c10d::ProcessGroupGloo of `size` ranks rendezvousing through s. Its transport binds to the network
// interface `interface` when given, else to the address of `hostname` when given, else to the address this
// machine's hostname resolves to (loopback when it does not). Collectives fail after timeout_ms. A non-empty
// key_prefix puts the group's keys under it in the store (c10d::PrefixStore), apart from another group's.
ct_process_group ct_process_group_gloo(ct_store s, const char *key_prefix, int rank, int size, const char *interface,
                                       const char *hostname, int64_t timeout_ms, int threads);
// A c10d::ProcessGroupNCCL of `size` ranks rendezvousing through s (under key_prefix, as for Gloo), on CUDA device
// `device` of this machine, which becomes the current device of the calling thread; the NCCL communicator is
// created before this returns (every rank must call it). Collectives time out after timeout_ms (NCCL's watchdog
// then stops the process). A dimr built without DIMR_NCCL (scripts/build-cuda.sh defines it) fails here with a
// message saying so; ct_nccl_version tells which build this is.
ct_process_group ct_process_group_nccl(ct_store s, const char *key_prefix, int rank, int size, int device, int64_t timeout_ms);
// NCCL_VERSION_CODE of the nccl.h this library was compiled with (e.g. 22809 for 2.28.9); 0 without NCCL.
int ct_nccl_version(void);
// Shuts an NCCL group down (a no-op for Gloo), then frees it.
void ct_process_group_free(ct_process_group pg);
// Sums n float tensors in place across ranks and multiplies the sums by scale: the tensors are packed into
// buckets of at most bucket_bytes (a tensor larger than that alone), each bucket's allreduce starts as soon as
// it is packed and all are waited for. Tensors must be contiguous and floating-point (a bucket holds one dtype):
// CPU tensors for Gloo; for NCCL, tensors on the group's CUDA device, or CPU tensors, which go through it.
int ct_process_group_allreduce(ct_process_group pg, const ct_tensor *ts, int n, double scale, int64_t bucket_bytes);
// Copies the n tensors of rank root to every rank (in place, without recording autograd history),
// packed into buckets of at most bucket_bytes per dtype (devices as for ct_process_group_allreduce).
int ct_process_group_broadcast(ct_process_group pg, const ct_tensor *ts, int n, int root, int64_t bucket_bytes);
// Averaging of parameter gradients that overlaps backward (as DistributedDataParallel): the n parameters (float
// leaf tensors requiring gradients on the group's device, the same on every rank) are grouped into buckets of at most bucket_bytes,
// in reverse order; hooks copy each gradient into its bucket as autograd produces it, and full buckets are reduced
// in the background, in the same order on every rank. Hooks stay until ct_grad_sync_free; they act only between
// ct_grad_sync_prepare and ct_grad_sync_finish.
typedef struct ct_grad_sync_s *ct_grad_sync;
ct_grad_sync ct_grad_sync_new(ct_process_group pg, const ct_tensor *params, int n, int64_t bucket_bytes);
void ct_grad_sync_free(ct_grad_sync s);
// Arms the hooks for the next backward pass.
int ct_grad_sync_prepare(ct_grad_sync s);
// After the backward pass: reduces the buckets not yet launched (a parameter without a gradient counts as zeros),
// waits for all, and sets every parameter's gradient to scale x the sum over ranks (scale = 1 / size: the mean).
// *wait_seconds (when not NULL) receives the time spent waiting for the reductions after backward.
int ct_grad_sync_finish(ct_grad_sync s, double scale, double *wait_seconds);
// Disarms the hooks after a failed backward pass without reducing anything (the step is abandoned).
void ct_grad_sync_abort(ct_grad_sync s);
// Returns when every rank has called it (or fails after the group's timeout).
int ct_process_group_barrier(ct_process_group pg);
// Tests the layout this library was compiled with against libtorch's: constructs a single-rank Gloo group
// (through s, which must be a server) in a buffer whose bytes past sizeof(c10d::ProcessGroupGloo) hold a
// pattern, and reports 1 when libtorch's constructor left that pattern intact, 0 when it wrote past the end.
int ct_gloo_layout_check(ct_store s, int64_t guard_bytes);

// libtorch's operator profiler on CPU activities (one at a time per process). start: record_shapes != 0 also
// records input shapes. stop: ends the recording and writes it as a Chrome trace JSON to trace_path (NULL: discarded).
int ct_profiler_start(int record_shapes);
int ct_profiler_stop(const char *trace_path);

#ifdef __cplusplus
}
#endif

#endif
