#include "tasks/ptq_calibration.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "tasks/recording_quantizer.hpp"

namespace qharness {
namespace {

SlotCalibration slot_calibration(const PluginSelection& sel, const QuantSlot& slot) {
  SlotCalibration c;
  c.plugin = sel.name;
  c.per_channel = sel.params.get_string("granularity") == "per-channel";
  c.bits = sel.params.get_int("bits");
  // A copy of the slot's seeded stream, taken once: every generic Lp evaluation of this slot
  // starts from it, whatever the forward passes draw from the slot in between.
  if (slot.generator.defined()) c.noise = slot.generator.clone();
  return c;
}

// In an activation slot for one forward pass: fits the slot's clip by `method` on the first
// tensor it sees (the layer's input with the layers before it quantized), then quantizes with it.
class FitOnFirstInput : public Quantizer {
 public:
  FitOnFirstInput(std::shared_ptr<Quantizer> inner, QuantSlot& slot, const CalibrationMethod& method,
                  const SlotCalibration& calibration)
      : inner_(std::move(inner)), slot_(slot), method_(method), calibration_(calibration) {}
  at::Tensor calibrate(const at::Tensor& x, const QuantTarget& t) override { return inner_->calibrate(x, t); }
  at::Tensor quantize(const at::Tensor& x, const at::Tensor&, const QuantTarget& t, at::Generator& g) override {
    if (!fitted_) {
      slot_.clip = calibrate_by_method(*inner_, x.detach(), t, method_, calibration_);
      fitted_ = true;
    }
    return inner_->quantize(x, slot_.clip, t, g);
  }
  bool fitted() const { return fitted_; }

 private:
  std::shared_ptr<Quantizer> inner_;
  QuantSlot& slot_;
  CalibrationMethod method_;
  const SlotCalibration& calibration_;
  bool fitted_ = false;
};

bool declares_clip_gradient(const PluginSelection& sel, const PluginRegistry& plugins) {
  const PluginInfo* info = plugins.find(PluginKind::Quantizer, sel.name);
  return info && info->quantizer.clip_gradient;
}

}  // namespace

PtqCalibrator::PtqCalibrator(QModel& model, const std::vector<NamedQuantLayer>& layers, const at::Tensor& images,
                             const PluginSelection& weights, const PluginSelection& activations,
                             const PluginRegistry& plugins, CalibrateOn on)
    : model_(model), images_(images), on_(on) {
  // One FP32 forward with recorders in the active input slots and the weight slots off.
  std::vector<std::shared_ptr<Quantizer>> saved_w, saved_a;
  std::vector<std::shared_ptr<RecordingQuantizer>> recorders;
  for (const auto& l : layers) {
    saved_w.push_back(l.layer->weight_quant.quantizer);
    saved_a.push_back(l.layer->input_quant.quantizer);
    l.layer->weight_quant.quantizer = nullptr;
    recorders.push_back(l.layer->input_quant.active() ? std::make_shared<RecordingQuantizer>() : nullptr);
    if (recorders.back()) l.layer->input_quant.quantizer = recorders.back();
  }
  {
    at::NoGradGuard no_grad;
    model.forward(images);
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    QuantLayer& layer = *layers[i].layer;
    layer.weight_quant.quantizer = saved_w[i];
    layer.input_quant.quantizer = saved_a[i];
    if (layer.weight_quant.active())
      slots_.push_back({&layer.weight_quant, saved_w[i], slot_calibration(weights, layer.weight_quant),
                        layer.weight_param().detach(), i, true});
    if (layer.input_quant.active())
      slots_.push_back({&layer.input_quant, saved_a[i], slot_calibration(activations, layer.input_quant),
                        recorders[i]->seen, i, false});
  }
  for (const Slot& s : slots_)
    clip_gradient_ = clip_gradient_ && declares_clip_gradient(s.weight ? weights : activations, plugins);
  // Bounds from the minmax clip of each tensor.
  for (const Slot& s : slots_) {
    const at::Tensor hi = calibrate_by_method(*s.quantizer, s.data, s.slot->target, {CalibrationMethod::Kind::MinMax},
                                              s.calibration)
                              .to(at::kDouble).contiguous().reshape({-1});
    for (std::int64_t k = 0; k < hi.numel(); ++k) {
      entries_.push_back({s.layer, s.weight, k});
      const double u = hi[k].item<double>();
      bounds_.upper.push_back(u);
      bounds_.lower.push_back(u > 0 ? 1e-4 * u : 1e-12);
      if (!(u > 0)) bounds_.upper.back() = 1e-8;   // an all-zero tensor: any tiny clip will do
    }
  }
}

void PtqCalibrator::calibrate(const CalibrationMethod& method) {
  at::NoGradGuard no_grad;
  for (Slot& s : slots_)
    if (s.weight || on_ == CalibrateOn::Fp32)
      s.slot->clip = calibrate_by_method(*s.quantizer, s.data, s.slot->target, method, s.calibration);
  if (on_ == CalibrateOn::Quantized) calibrate_activations_in_order(method);
}

void PtqCalibrator::calibrate_activations_in_order(const CalibrationMethod& method) {
  std::vector<std::pair<Slot*, std::shared_ptr<Quantizer>>> swapped;   // slot, its quantizer as attached
  std::vector<std::shared_ptr<FitOnFirstInput>> fits;
  for (Slot& s : slots_) {
    if (s.weight) continue;
    fits.push_back(std::make_shared<FitOnFirstInput>(s.slot->quantizer, *s.slot, method, s.calibration));
    swapped.emplace_back(&s, s.slot->quantizer);
    s.slot->quantizer = fits.back();
  }
  auto restore = [&] {
    for (auto& [slot, quantizer] : swapped) slot->slot->quantizer = quantizer;
  };
  try {
    model_.forward(images_);
  } catch (...) {
    restore();
    throw;
  }
  restore();
  for (std::size_t i = 0; i < fits.size(); ++i)
    if (!fits[i]->fitted())
      throw std::logic_error("ptq: an activation slot saw no input in the calibration forward pass");
  // A layer's input with the layers before it quantized can exceed the FP32 max|x| the bounds
  // were set from: widen those bounds so that the searches start inside them.
  std::size_t k = 0;
  for (const Slot& s : slots_) {
    const at::Tensor c = s.slot->clip.detach().to(at::kDouble).contiguous().reshape({-1});
    for (std::int64_t j = 0; j < c.numel(); ++j, ++k)
      if (!s.weight) bounds_.upper[k] = std::max(bounds_.upper[k], c[j].item<double>());
  }
}
std::vector<double> PtqCalibrator::clips() const {
  std::vector<double> x;
  for (const Slot& s : slots_) {
    const at::Tensor c = s.slot->clip.detach().to(at::kDouble).contiguous().reshape({-1});
    const double* d = c.data_ptr<double>();
    x.insert(x.end(), d, d + c.numel());
  }
  return x;
}

void PtqCalibrator::set_clips(const std::vector<double>& x) {
  if (x.size() != bounds_.upper.size())
    throw std::logic_error("ptq: " + std::to_string(x.size()) + " clip values for " + std::to_string(bounds_.upper.size()) + " clips");
  at::NoGradGuard no_grad;
  std::size_t k = 0;
  for (Slot& s : slots_) {
    at::Tensor& c = s.slot->clip;
    if (c.requires_grad()) c = c.detach();
    const at::Tensor v = at::from_blob(const_cast<double*>(x.data() + k), c.sizes(), at::kDouble);
    c.copy_(v);
    k += static_cast<std::size_t>(c.numel());
  }
}

double PtqCalibrator::loss_and_clip_gradient(const std::function<at::Tensor()>& forward_loss,
                                             std::vector<double>& gradient) {
  for (Slot& s : slots_) s.slot->clip = s.slot->clip.detach().clone().requires_grad_(true);
  at::Tensor loss;
  {
    at::AutoGradMode grad_on(true);
    loss = forward_loss();
    loss.backward();
  }
  gradient.clear();
  for (Slot& s : slots_) {
    at::Tensor g = s.slot->clip.grad();
    if (!g.defined()) g = at::zeros_like(s.slot->clip);
    g = g.to(at::kDouble).contiguous().reshape({-1});
    gradient.insert(gradient.end(), g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
    s.slot->clip = s.slot->clip.detach();
  }
  return loss.item<double>();
}

}  // namespace qharness
