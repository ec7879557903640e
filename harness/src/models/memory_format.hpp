#pragma once
// Convolutions in channels-last (NHWC) memory: oneDNN's NHWC kernels run faster than NCHW on
// the CPUs measured here (docs/performance.md, "Channels-last"). The logical shape of every
// tensor stays NCHW; only the strides change, so every number is the same up to the order of
// float summation inside a convolution.
//
// The experiment key `memory_format` (auto | contiguous | channels-last) chooses it per trial.
// `auto` takes channels-last where it was measured faster here: models that are only evaluated
// (evaluate, ptq, hessian, landscape: FP32 and W4A4 evaluation 1.13-1.22x, idle and beside a
// busy process), and keeps NCHW where training runs (train, quant-train, sparse-train, masks:
// the FP32 step gains 1.14x idle but 1.04x beside a busy process, and the 4-bit step loses,
// 0.88x, because SAWB, luq and the straight-through backward still copy to NCHW). Every code
// path inside one trial sees one format, so the bit-for-bit comparisons inside a task (scripted
// vs built-in quantizers, incremental vs full evaluation) hold in either. The benchmarks
// measure it side by side (the *_cl cases of qharness_bench_quant_train and bench_ptq_eval).
#include <ATen/core/Tensor.h>

#include <string>

#include "models/model.hpp"

namespace qharness {

// What a task does with its model; `memory_format: auto` decides by it.
enum class ModelUse { Evaluation, Training };

// Whether a trial with `memory_format: setting` (auto | contiguous | channels-last) puts its
// model in channels-last memory. Throws std::invalid_argument on any other setting.
bool wants_channels_last(const std::string& setting, ModelUse use);

// Every 4-D parameter of `model` (the convolution weights) in channels-last memory, in place
// (the parameter objects stay the same, so optimizers and slots keep referring to them).
void use_channels_last(QModel& model);

// `x` (N, C, H, W) in channels-last memory; other ranks unchanged.
at::Tensor channels_last(const at::Tensor& x);

}  // namespace qharness
