#pragma once
// A convolution of a one-channel input (the first layer on grayscale images: lenet5's and
// resnet20's on Fashion-MNIST) whose weight and bias gradients qharness computes itself.
//
// Why: oneDNN's weight gradient pads the one input channel to a block of 8 and, with few output
// channels, splits the batch between the threads and adds their partial sums after a barrier
// that spins (OMP_WAIT_POLICY does not reach it). On the 2-core machine it was the largest part
// of a lenet5 training epoch (1.56 s of ~5.5 s) and doubled beside one busy process (4.44 s;
// one thread: 2.30 s). Here each output channel's sums are one thread's work in a fixed order:
// the gradients do not depend on the thread count, and threads meet only at the end of the
// parallel region, where OpenMP's waiting rule applies. Measured: docs/performance.md "Threads
// on a shared machine"; benchmark qharness_bench_quant_train --benchmark_filter=first_conv.
//
// The forward pass and the input's gradient stay ATen's (oneDNN); only the weight's and the
// bias's change, by float summation order. When the backward pass itself is being
// differentiated (create_graph, e.g. the first of the exact clip Hessian's two passes), all
// three come from ATen's differentiable formula instead. One more difference, past overflow
// only: an infinite output gradient at a position whose window reaches into the zero border
// gives NaN here (inf * 0, as the definition says); oneDNN may skip the border's products.
#include <ATen/ATen.h>

#include <cstdint>

namespace qharness {

// Whether conv2d_one_input_channel() serves this convolution: a float32 CPU input of shape
// (N, 1, H, W), a weight (O, 1, KH, KW) that needs its gradient, stride 1, one group.
bool one_input_channel_conv_applies(const at::Tensor& input, const at::Tensor& weight, std::int64_t stride,
                                    std::int64_t groups);

// at::conv2d(input, weight, bias, stride 1, padding) with the weight and bias gradients above.
at::Tensor conv2d_one_input_channel(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                    std::int64_t padding);

// The kernel: grad_weight[o][i][j] = sum over n, oh, ow of grad_out[n][o][oh][ow] *
// x[n][oh + i - padding][ow + j - padding] (zero outside the image), grad_bias[o] = sum of
// grad_out[n][o]. input (N, 1, H, W) and grad_output (N, O, OH, OW) contiguous float32; writes
// grad_weight (O, 1, KH, KW) and, when defined, grad_bias (O). Sums each output channel in one
// fixed order (8 lanes over ow, per image, then over images), whatever the thread count.
void one_input_channel_weight_gradient(const at::Tensor& input, const at::Tensor& grad_output,
                                       std::int64_t padding, at::Tensor& grad_weight, at::Tensor& grad_bias);

}  // namespace qharness
