// Pooling with all of PyTorch's options, and batch normalisation.
#include "internal.h"

using namespace ctorch;

extern "C" {

ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, const int64_t *d,
                        int ceil_mode) {
  CT_TENSOR(at::max_pool2d(T(x), dims(k, 2), dims(s, 2), dims(p, 2), dims(d, 2), ceil_mode != 0))
}
ct_tensor ct_avg_pool2d_ex(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, int ceil_mode,
                           int count_include_pad) {
  CT_TENSOR(at::avg_pool2d(T(x), dims(k, 2), dims(s, 2), dims(p, 2), ceil_mode != 0, count_include_pad != 0))
}
ct_tensor ct_batch_norm(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor running_mean, ct_tensor running_var,
                        int training, double momentum, double eps) {
  CT_TENSOR(at::batch_norm(T(x), opt(w), opt(b), opt(running_mean), opt(running_var), training != 0, momentum, eps,
                           /*cudnn_enabled=*/true))
}

}  // extern "C"
