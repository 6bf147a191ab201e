// Linear algebra for the evaluation metrics (symmetric eigendecomposition, k-th values, diagonals).
#include "internal.h"


using namespace ctorch;

extern "C" {

int ct_linalg_eigh(ct_tensor a, int upper, ct_tensor *eigenvalues, ct_tensor *eigenvectors) {
  CT_GUARD(-1, {
    auto result = at::linalg_eigh(T(a), upper ? "U" : "L");
    *eigenvalues = wrap(std::get<0>(result));
    *eigenvectors = wrap(std::get<1>(result));
    return 0;
  })
}
ct_tensor ct_linalg_eigvalsh(ct_tensor a, int upper) { CT_TENSOR(at::linalg_eigvalsh(T(a), upper ? "U" : "L")) }
int ct_kthvalue(ct_tensor a, int64_t k, int64_t dim, int keepdim, ct_tensor *values, ct_tensor *indices) {
  CT_GUARD(-1, {
    auto result = at::kthvalue(T(a), k, dim, keepdim != 0);
    *values = wrap(std::get<0>(result));
    *indices = wrap(std::get<1>(result));
    return 0;
  })
}
ct_tensor ct_diagonal(ct_tensor a, int64_t offset, int64_t dim1, int64_t dim2) {
  CT_TENSOR(at::diagonal(T(a), offset, dim1, dim2))
}
ct_tensor ct_eye(int64_t n, int dtype, int dev_type, int dev_index) {
  CT_TENSOR(at::eye(n, options(dtype, dev_type, dev_index)))
}

}  // extern "C"
