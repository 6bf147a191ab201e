// Weight-initialisation entry points of the NN area.
#include <cmath>

#include "internal.h"

using namespace ctorch;

extern "C" {

int ct_trunc_normal_(ct_tensor t, double mean, double std, double a, double b, ct_generator g) {
  CT_STATUS({
    c10::NoGradGuard ng;
    if (!(std > 0)) throw std::invalid_argument("trunc_normal_: std must be positive, got " + std::to_string(std));
    if (!(a < b)) throw std::invalid_argument("trunc_normal_: needs a < b");
    auto cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
    double lo = cdf((a - mean) / std), hi = cdf((b - mean) / std);
    at::Tensor &x = T(t);
    x.uniform_(2 * lo - 1, 2 * hi - 1, gen(g));
    x.erfinv_();
    x.mul_(std * std::sqrt(2.0));
    x.add_(mean);
    x.clamp_(a, b);
  })
}

}  // extern "C"
