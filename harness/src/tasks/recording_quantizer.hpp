#pragma once
// A quantizer to put into a layer's slot for one pass, to see what the slot sees: it keeps the
// last tensor given to quantize() (`seen`) and the tensor it returned (`returned`). With an
// inner quantizer it forwards to it; without one it passes the tensor through unchanged (a
// probe of the layer's FP32 input). Used by ptq's calibration, quant-train's MAC count and
// gradient statistics.
#include <ATen/core/Tensor.h>

#include <memory>
#include <utility>

#include "qharness/quantizer.hpp"

namespace qharness {

class RecordingQuantizer : public Quantizer {
 public:
  explicit RecordingQuantizer(std::shared_ptr<Quantizer> inner = nullptr) : inner(std::move(inner)) {}

  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& t) override {
    return inner ? inner->calibrate(x, t) : x.detach().abs().max();
  }
  at::Tensor calibrate_method(const at::Tensor& x, const QuantTarget& t, const CalibrationMethod& m) override {
    return inner ? inner->calibrate_method(x, t, m) : at::Tensor();
  }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& t, at::Generator& g) override {
    seen = x.detach().clone();
    if (!inner) {
      returned = seen;
      return x;
    }
    at::Tensor q = inner->quantize(x, clip, t, g);
    returned = q.detach().clone();
    return q;
  }

  std::shared_ptr<Quantizer> inner;   // empty: pass-through
  at::Tensor seen, returned;
};

}  // namespace qharness
