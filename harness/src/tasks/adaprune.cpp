#include "tasks/adaprune.hpp"

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <stdexcept>

#include "tasks/recording_quantizer.hpp"

namespace qharness {

std::vector<at::Tensor> input_grams(QModel& model, const std::vector<NamedQuantLayer>& layers,
                                    const at::Tensor& images, std::int64_t chunk) {
  std::vector<std::shared_ptr<Quantizer>> saved;
  std::vector<std::shared_ptr<RecordingQuantizer>> probes;
  std::vector<at::Tensor> grams;
  for (const auto& l : layers) {
    if (auto* conv = dynamic_cast<QConv2dImpl*>(l.layer); conv && conv->options.groups != 1)
      throw std::invalid_argument("adaprune: layer " + l.name + " is a grouped convolution (not supported)");
    const std::int64_t d = l.layer->weight_param()[0].numel() + 1;  // + the constant 1
    grams.push_back(at::zeros({d, d}, at::kDouble));
    saved.push_back(l.layer->input_quant.quantizer);
    probes.push_back(std::make_shared<RecordingQuantizer>(saved.back()));
    l.layer->input_quant.quantizer = probes.back();
  }
  const bool was_training = model.is_training();
  model.eval();
  {
    at::NoGradGuard no_grad;
    for (std::int64_t start = 0; start < images.size(0); start += chunk) {
      model.forward(images.narrow(0, start, std::min(chunk, images.size(0) - start)));
      for (std::size_t i = 0; i < layers.size(); ++i) {
        at::Tensor x = probes[i]->returned;
        const std::int64_t d = grams[i].size(0);
        if (auto* conv = dynamic_cast<QConv2dImpl*>(layers[i].layer)) {
          const auto& o = conv->options;
          // [B, in*k*k, L]: rows ordered (channel, kh, kw) like weight.view(out, -1).
          x = at::im2col(x, {o.kernel_size, o.kernel_size}, {1, 1}, {o.padding, o.padding}, {o.stride, o.stride})
                  .transpose(1, 2);
        }
        const at::Tensor patches = x.reshape({-1, d - 1}).to(at::kDouble);
        const at::Tensor rows = at::cat({patches, at::ones({patches.size(0), 1}, at::kDouble)}, 1);
        grams[i] += rows.t().mm(rows);
      }
    }
  }
  if (was_training) model.train();
  for (std::size_t i = 0; i < layers.size(); ++i) layers[i].layer->input_quant.quantizer = saved[i];
  return grams;
}

AdaPruneResult adaprune_layer(QuantLayer& layer, const at::Tensor& gram, const AdaPruneOptions& options) {
  if (!layer.weight_mask.defined()) throw std::logic_error("adaprune_layer: the layer has no weight_mask");
  at::NoGradGuard no_grad;
  at::Tensor& weight = layer.weight_param();
  at::Tensor& bias = layer.bias_param();
  const std::int64_t out = weight.size(0), d = weight[0].numel() + 1;  // d: the inputs and the constant 1
  if (gram.size(0) != d) throw std::logic_error("adaprune_layer: the Gram matrix is not [inputs + 1]^2");
  const at::Tensor g = gram.to(at::kDouble);
  // The layer's affine map as one matrix [W | b] over [x; 1]: the weights and the bias.
  const at::Tensor b = bias.defined() ? bias.detach().to(at::kCPU, at::kDouble).reshape({out, 1})
                                      : at::zeros({out, 1}, at::kDouble);
  const at::Tensor w = at::cat({weight.detach().to(at::kCPU, at::kDouble).reshape({out, d - 1}), b}, 1);
  // The bias column is kept (it is never pruned) and re-fitted only with fit_bias.
  const bool fit_bias = options.fit_bias && bias.defined();
  const at::Tensor keep = at::cat({layer.weight_mask.to(at::kCPU).reshape({out, d - 1}),
                                   at::full({out, 1}, fit_bias, at::kBool)}, 1);
  // What the fit does not change: the bias when it is not re-fitted.
  const at::Tensor fixed = fit_bias ? at::zeros_like(w) : at::cat({at::zeros({out, d - 1}, at::kDouble), b}, 1);
  const at::Tensor pruned = w * keep.to(at::kDouble) + fixed;
  at::Tensor fitted = pruned.clone();
  const double ridge = 1e-6 * g.diagonal().mean().item<double>() + 1e-30;

  // Rows grouped by how many inputs they keep: one batched solve per group.
  std::map<std::int64_t, std::vector<std::int64_t>> rows_by_kept;
  const at::Tensor counts = keep.sum(1);
  for (std::int64_t o = 0; o < out; ++o) rows_by_kept[counts[o].item<std::int64_t>()].push_back(o);
  auto row_errors = [&](const at::Tensor& v, const at::Tensor& target) {
    const at::Tensor diff = v - target;
    return (diff.mm(g) * diff).sum(1);
  };
  for (const auto& [k, rows_v] : rows_by_kept) {
    if (k == 0) continue;
    const at::Tensor rows = at::tensor(rows_v, at::kLong);
    const std::int64_t r = rows.size(0);
    const at::Tensor cols = keep.index_select(0, rows).nonzero().select(1, 1).reshape({r, k});
    const at::Tensor g_kk = g.reshape({-1}).index_select(0, (cols.unsqueeze(2) * d + cols.unsqueeze(1)).reshape({-1}))
                                .reshape({r, k, k}) +
                            ridge * at::eye(k, at::kDouble);
    const at::Tensor w_rows = w.index_select(0, rows);
    const at::Tensor fixed_rows = fixed.index_select(0, rows);
    // Normal equations of the kept entries against the target minus what stays fixed.
    const at::Tensor rhs = g.index_select(0, cols.reshape({-1})).reshape({r, k, d}).bmm((w_rows - fixed_rows).unsqueeze(2));
    const at::Tensor solution = at::linalg_solve(g_kk, rhs).squeeze(2);
    const at::Tensor candidate = at::zeros({r, d}, at::kDouble).scatter_(1, cols, solution) + fixed_rows;
    const at::Tensor before = pruned.index_select(0, rows);
    const at::Tensor better = (row_errors(candidate, w_rows) <= row_errors(before, w_rows)).unsqueeze(1);
    fitted.index_copy_(0, rows, at::where(better, candidate, before));
  }
  AdaPruneResult result;
  const double base = std::max((w.mm(g) * w).sum().item<double>(), 1e-300);
  result.error_pruned = row_errors(pruned, w).sum().item<double>() / base;
  result.error_adaprune = row_errors(fitted, w).sum().item<double>() / base;
  weight.detach().copy_(fitted.slice(1, 0, d - 1).reshape(weight.sizes()));
  if (fit_bias) bias.detach().copy_(fitted.select(1, d - 1).to(bias.dtype()));
  return result;
}

}  // namespace qharness
