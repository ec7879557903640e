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
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/model.hpp"

namespace qharness {

// Per layer, G = sum over calibration patches x x^T of the layer's input as its product sees
// it (conv: im2col patches, channel-major like weight.view(out, -1)), in double. The layers'
// inputs are those of `model` as it is (masks included): call it on the model to reconstruct.
// Images are run in chunks of `chunk`, in eval mode, without gradients.
std::vector<at::Tensor> input_grams(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                    const at::Tensor& images, std::int64_t chunk = 64);

struct AdaPruneResult {
  // Relative reconstruction error sum_o (w'_o - w_o)^T G (w'_o - w_o) / sum_o w_o^T G w_o:
  // of the pruned weight (w' = M . W) and after AdaPrune.
  double error_pruned = 0, error_adaprune = 0;
};

// Re-fits layer.weight_param() in place under layer.weight_mask (which must be set); the
// weight's pruned entries become 0. `gram` from input_grams() of the unpruned layer.
AdaPruneResult adaprune_layer(QuantLayer& layer, const at::Tensor& gram);

}  // namespace qharness
