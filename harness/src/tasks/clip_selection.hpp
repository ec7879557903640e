#pragma once
// Which clipping values of a PTQ model a study varies (hessian, landscape): the clip kind
// (`params: activations | weights | both`) and the layers, by name or alias:
//
//   all               every quantized layer that has a clip of the chosen kind
//   first-quantized   the first layer (in forward order) that has a clip of the chosen kind
//   second-quantized  the second such layer
//   last-quantized    the last such layer
//
// With activations, the network's first layer never qualifies (its input image is not
// quantized), so on lenet5 with `quant.skip: []` first-quantized is conv2. The clips are
// returned in layer order, weight before activation; only per-tensor clips can be studied.
#include <string>
#include <vector>

#include "models/quant_layer.hpp"
#include "tasks/ptq_model.hpp"

namespace qharness {

struct StudiedClip {
  std::string name;     // the layer's name; with params both, suffixed ":w" or ":a"
  std::string layer;
  bool weight = false;  // the weight's clip, else the input activation's
  QuantSlot* slot = nullptr;
  std::size_t entry = 0;   // index into the calibrator's clips() and bounds()
  double max_abs = 0.0;    // max|x| of the tensor it clips (the calibrator's upper bound)
};

// `key` is the YAML key of the layer list (for error messages: "hessian.layers").
std::vector<StudiedClip> select_clips(const PtqModel& ptq, const std::string& params,
                                      const std::vector<std::string>& layers, const std::string& key);

}  // namespace qharness
