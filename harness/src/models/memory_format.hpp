#pragma once
// Convolutions in channels-last (NHWC) memory: oneDNN's NHWC kernels run faster than NCHW on
// the CPUs measured here (docs/performance.md, "Channels-last"). The logical shape of every
// tensor stays NCHW; only the strides change, so every number is the same up to the order of
// float summation inside a convolution.
//
// Not used by the tasks yet: FP32 training and evaluation win (1.14-1.19x) and W4A4 evaluation
// too (1.13x), but the 4-bit training step loses (0.88x: its quantizers still copy to NCHW),
// and a format that differs between two code paths would break the bit-for-bit comparisons
// between them (scripted vs built-in quantizers, incremental vs full evaluation). The benchmarks
// measure it side by side (the *_cl cases of qharness_bench_quant_train and bench_ptq_eval).
#include <ATen/core/Tensor.h>

#include "models/model.hpp"

namespace qharness {

// Every 4-D parameter of `model` (the convolution weights) in channels-last memory, in place
// (the parameter objects stay the same, so optimizers and slots keep referring to them).
void use_channels_last(QModel& model);

// `x` (N, C, H, W) in channels-last memory; other ranks unchanged.
at::Tensor channels_last(const at::Tensor& x);

}  // namespace qharness
