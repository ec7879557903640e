#pragma once
// The multiplication-free backward product of LUQ: an INT4 matrix times a radix-2 FP4 matrix
// with integer shifts and adds only. A product a * (+-2^k) of an integer and a power of two is a
// shift of a; the sum of such terms is integer accumulation. The two per-tensor scales are
// applied once per output element, outside the multiply-accumulate loop.
#include <ATen/ATen.h>

#include <cstdint>

namespace qharness::gradquant {

// FP4 codes of a tensor quantized by luq/fp4-* (see gradient_quantizer.hpp): int8, 0 = zero,
// +-e (e = 1..levels) = +-alpha * 2^(e - levels). levels = 2^(bits-1) - 1.
struct Fp4Tensor {
  at::Tensor codes;   // int8
  double alpha = 0;   // the scale: the largest magnitude
  int levels = 7;
};

// Codes of a tensor whose values are already on the FP4 code book with scale alpha.
// Throws std::invalid_argument when a value is not on it.
Fp4Tensor encode_fp4(const at::Tensor& values, double alpha, int bits = 4);
at::Tensor decode_fp4(const Fp4Tensor& t);   // float32 values

// a: [m, k] int8 INT4 values in [-8, 7]; b: [k, n] FP4 codes. Returns the int64 accumulator
// sum_p a[i,p] * sign(b[p,j]) * 2^|b[p,j]| (with 2^0 read as 0 for the zero code): the product
// of a and b's values divided by alpha * 2^-levels. Only shifts, negations and adds.
at::Tensor shift_add_matmul_accumulator(const at::Tensor& a, const Fp4Tensor& b);

// The real product: (scale_a * a) @ decode(b), from the integer accumulator with one
// floating-point multiply per output element.
at::Tensor shift_add_matmul(const at::Tensor& a, double scale_a, const Fp4Tensor& b);

}  // namespace qharness::gradquant
