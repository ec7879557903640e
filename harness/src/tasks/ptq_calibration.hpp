#pragma once
// The clips of a PTQ model: initialization by a calibration method, and the flat vector view
// of every clip that LAPQ's joint search works on.
//
// Activation clips are fitted on one of two inputs (`ptq.calibrate_on`):
//   quantized (the default, LAPQ's reference code): each layer's input as the network computes it
//     with every earlier layer already quantized with the clips just fitted. One forward pass per
//     calibration does it: each activation slot fits its clip, by the method, on the first
//     tensor it sees and quantizes with it, so the layers after it see quantized inputs.
//   fp32: each layer's input in the FP32 network, recorded once at construction (weights and
//     activations unquantized) and reused by every (method, p) calibration.
// Weight clips depend on the weights only.
// Calibration goes through the Quantizer interface of each slot's own quantizer
// (quant/calibrate.hpp): the plugin's calibrate_method where it has one, else the harness's
// generic method through its quantize(), so any quantizer plugin works and the clip matches
// the grid the slot quantizes with.
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "models/model.hpp"
#include "plugins/plugin_registry.hpp"
#include "qharness/optimizer.hpp"
#include "quant/calibrate.hpp"

namespace qharness {

// Which slot one entry of clips() belongs to.
struct ClipEntry {
  std::size_t layer;       // index into the `layers` given to the calibrator
  bool weight;             // the weight's clip (else the input activation's)
  std::int64_t channel;    // entry within the slot's clip (0 when per-tensor)
};

enum class CalibrateOn { Quantized, Fp32 };

class PtqCalibrator {
 public:
  // Takes the slots' quantizers as they are now: a wrapper put into a slot later (bias
  // correction) does not change calibration.
  PtqCalibrator(QModel& model, const std::vector<NamedQuantLayer>& layers, const at::Tensor& images,
                const PluginSelection& weights, const PluginSelection& activations, const PluginRegistry& plugins,
                CalibrateOn on = CalibrateOn::Quantized);

  // Sets every active slot's clip with `method`.
  void calibrate(const CalibrationMethod& method);

  // Every active slot's clip entries, in layer order, weight before activation.
  std::vector<double> clips() const;
  // Writes x into the clips, in place (same order as clips()).
  void set_clips(const std::vector<double>& x);
  // (0, max|x|] per entry: max|x| is the minmax calibration of the tensor, the lower bound
  // 1e-4 of it (a zero clip would divide by zero).
  const Bounds& bounds() const { return bounds_; }
  // Which slot each entry of clips() (and of bounds()) belongs to.
  const std::vector<ClipEntry>& entries() const { return entries_; }

  // Whether every active slot's quantizer declares clip_gradient (plugin.hpp): only then is
  // loss_and_clip_gradient's gradient the quantizers' own.
  bool clip_gradient() const { return clip_gradient_; }
  // The loss `forward_loss` computes with the current clips, and its gradient with respect to
  // every clip entry (autograd through the quantizers' differentiable clip path).
  double loss_and_clip_gradient(const std::function<at::Tensor()>& forward_loss, std::vector<double>& gradient);

 private:
  struct Slot {
    QuantSlot* slot;
    std::shared_ptr<Quantizer> quantizer;   // the plugin's, as attached
    SlotCalibration calibration;
    at::Tensor data;    // the tensor it calibrates on: the weight, or the recorded FP32 input
    std::size_t layer;  // index into the calibrator's layers
    bool weight;
  };
  void calibrate_activations_in_order(const CalibrationMethod& method);

  QModel& model_;
  at::Tensor images_;
  CalibrateOn on_;
  std::vector<Slot> slots_;
  Bounds bounds_;
  std::vector<ClipEntry> entries_;
  bool clip_gradient_ = true;
};

}  // namespace qharness
