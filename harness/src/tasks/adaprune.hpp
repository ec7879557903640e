#pragma once
// AdaPrune (Hubara et al. 2021, Sec. 5): with a layer's mask fixed, re-fit its kept weights so
// that the pruned layer reproduces the dense layer's products on calibration inputs:
//
//     min over W'  || W X - (M . W') X ||^2      (X: the layer's inputs, unfolded for convolutions)
//
// Solved by LEAST SQUARES, not Adam: the problem separates over output rows, and row o is an
// ordinary least-squares fit of w_o over its kept inputs K_o. With the Gram matrix G = X X^T
// (accumulated once per layer over the calibration images), the normal equations are
//     G[K_o, K_o] w'_K = G[K_o, :] w_o,
// one small solve per row, batched over the rows that keep the same number of inputs (every row
// for N:M masks). A tiny ridge (1e-6 of G's mean diagonal) keeps dead inputs (all-zero after a
// ReLU) from making G singular; a row whose ridge solution would reconstruct worse than the
// pruned row (possible only through that ridge) keeps the pruned row, so AdaPrune never
// increases a layer's reconstruction error.
//
// With `fit_bias` (the paper's code) the bias is re-fitted too: the inputs get a constant 1
// appended (the Gram of [x; 1], whose last row is sum x and the patch count), the bias is an
// always-kept weight on it, and the target is W x + b. The paper's code first absorbs the mean
// contribution of the pruned weights into the bias and then optimizes; in closed form that
// initialization is subsumed: the least-squares bias is the optimum over every bias, hence at
// least as good as "old bias + absorbed mean" (tested).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/model.hpp"

namespace qharness {

// Per layer, G = sum over calibration patches of [x; 1][x; 1]^T, x the layer's input as its
// product sees it (conv: im2col patches, channel-major like weight.view(out, -1)), in double:
// (d+1) x (d+1), the top-left d x d block is X X^T, the last row sum x and the patch count. The layers'
// inputs are those of `model` as it is (masks included): call it on the model to reconstruct.
// Images are run in chunks of `chunk`, in eval mode, without gradients.
std::vector<at::Tensor> input_grams(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                    const at::Tensor& images, std::int64_t chunk = 64);

struct AdaPruneOptions {
  bool fit_bias = false;  // also re-fit the layer's bias (layers without a bias: weights only)
};

struct AdaPruneResult {
  // Relative reconstruction error sum_o (w'_o - w_o)^T G (w'_o - w_o) / sum_o w_o^T G w_o:
  // of the pruned weight (w' = M . W) and after AdaPrune.
  double error_pruned = 0, error_adaprune = 0;
};

// Re-fits layer.weight_param() (and with fit_bias its bias) in place under layer.weight_mask
// (which must be set); the weight's pruned entries become 0. `gram` from input_grams() of the
// unpruned layer. The errors are measured on the layer's output including the bias.
AdaPruneResult adaprune_layer(QuantLayer& layer, const at::Tensor& gram, const AdaPruneOptions& options = {});

}  // namespace qharness
