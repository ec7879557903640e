#include "shift_add_matmul.hpp"

#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>

namespace qharness::gradquant {

Fp4Tensor encode_fp4(const at::Tensor& values, double alpha, int bits) {
  Fp4Tensor t;
  t.alpha = alpha;
  t.levels = (1 << (bits - 1)) - 1;
  at::Tensor v = values.to(at::kDouble).contiguous();
  t.codes = at::zeros(values.sizes(), at::kChar);
  const double* src = v.data_ptr<double>();
  std::int8_t* dst = t.codes.data_ptr<std::int8_t>();
  for (std::int64_t i = 0; i < v.numel(); ++i) {
    if (src[i] == 0.0) continue;
    // |v| = alpha * 2^(e - levels)  =>  e = levels + log2(|v| / alpha)
    int exp2;
    const double m = std::frexp(std::fabs(src[i]) / alpha, &exp2);  // m in [0.5, 1)
    const int e = t.levels + exp2 - 1;
    if (m != 0.5 || e < 1 || e > t.levels)
      throw std::invalid_argument("encode_fp4: value " + std::to_string(src[i]) + " is not on the FP4 code book");
    dst[i] = static_cast<std::int8_t>(src[i] < 0 ? -e : e);
  }
  return t;
}

at::Tensor decode_fp4(const Fp4Tensor& t) {
  at::Tensor c = t.codes.to(at::kInt);
  at::Tensor mag = at::where(c == 0, at::zeros_like(c, at::kFloat),
                             at::pow(2.0, (c.abs() - t.levels).to(at::kFloat)) * static_cast<float>(t.alpha));
  return at::where(c < 0, -mag, mag);
}

at::Tensor shift_add_matmul_accumulator(const at::Tensor& a_in, const Fp4Tensor& b) {
  if (a_in.dim() != 2 || b.codes.dim() != 2 || a_in.size(1) != b.codes.size(0))
    throw std::invalid_argument("shift_add_matmul: need a [m, k] and b [k, n]");
  const at::Tensor a = a_in.to(at::kChar).contiguous();
  const at::Tensor codes = b.codes.contiguous();
  const std::int64_t m = a.size(0), k = a.size(1), n = codes.size(1);
  at::Tensor acc = at::zeros({m, n}, at::kLong);
  const std::int8_t* pa = a.data_ptr<std::int8_t>();
  const std::int8_t* pb = codes.data_ptr<std::int8_t>();
  std::int64_t* pc = acc.data_ptr<std::int64_t>();
  at::parallel_for(0, m, 1, [&](std::int64_t row_begin, std::int64_t row_end) {
    for (std::int64_t i = row_begin; i < row_end; ++i) {
      std::int64_t* out = pc + i * n;
      for (std::int64_t p = 0; p < k; ++p) {
        const std::int64_t av = pa[i * k + p];
        const std::int8_t* brow = pb + p * n;
        for (std::int64_t j = 0; j < n; ++j) {
          const std::int8_t code = brow[j];
          const std::int64_t e = code < 0 ? -code : code;
          const std::int64_t keep = -static_cast<std::int64_t>(e != 0);  // all ones, or 0 for the zero code
          // a << e, shifted as unsigned: well defined for negative a, same two's-complement bits.
          const std::int64_t shifted = static_cast<std::int64_t>(static_cast<std::uint64_t>(av) << e) & keep;
          const std::int64_t sign = static_cast<std::int64_t>(code >> 7);          // 0 or -1
          out[j] += (shifted ^ sign) - sign;                                       // conditional negation
        }
      }
    }
  });
  return acc;
}

at::Tensor shift_add_matmul(const at::Tensor& a, double scale_a, const Fp4Tensor& b) {
  at::Tensor acc = shift_add_matmul_accumulator(a, b);
  return acc.to(at::kDouble) * (scale_a * std::ldexp(b.alpha, -b.levels));
}

}  // namespace qharness::gradquant
