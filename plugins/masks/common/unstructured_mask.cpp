#include "masks/common/unstructured_mask.hpp"

#include <ATen/ATen.h>

#include <stdexcept>

namespace qharness::masks {

namespace {

// Keeps the `keep` largest of the flat magnitudes; ties to the lower index (stable sort).
at::Tensor top_magnitude_flat(const at::Tensor& flat_abs, std::int64_t keep) {
  at::Tensor mask = at::zeros({flat_abs.numel()}, at::TensorOptions().dtype(at::kBool));
  if (keep == 0) return mask;
  at::Tensor order = std::get<1>(at::sort(flat_abs, /*stable=*/true, /*dim=*/0, /*descending=*/true));
  mask.index_fill_(0, order.slice(0, 0, keep), true);
  return mask;
}

}  // namespace

at::Tensor unstructured_mask(const at::Tensor& weight, const NMSpec& spec) {
  spec.validate("unstructured mask");
  if (!weight.defined() || weight.numel() == 0)
    throw std::invalid_argument("unstructured mask: the weight is empty or undefined");
  at::Tensor flat = weight.detach().to(at::kCPU, at::kFloat).abs().reshape({-1});
  return top_magnitude_flat(flat, unstructured_keep_count(flat.numel(), spec))
      .reshape(weight.sizes())
      .to(weight.device());
}

std::vector<at::Tensor> global_unstructured_masks(const std::vector<at::Tensor>& weights, const NMSpec& spec) {
  spec.validate("global unstructured mask");
  if (weights.empty()) throw std::invalid_argument("global unstructured mask: no weights given");
  std::vector<at::Tensor> flats;
  for (const auto& w : weights) {
    if (!w.defined() || w.numel() == 0)
      throw std::invalid_argument("global unstructured mask: a weight is empty or undefined");
    flats.push_back(w.detach().to(at::kCPU, at::kFloat).abs().reshape({-1}));
  }
  at::Tensor all = at::cat(flats);
  at::Tensor mask = top_magnitude_flat(all, unstructured_keep_count(all.numel(), spec));
  std::vector<at::Tensor> out;
  std::int64_t start = 0;
  for (const auto& w : weights) {
    out.push_back(mask.slice(0, start, start + w.numel()).reshape(w.sizes()).to(w.device()));
    start += w.numel();
  }
  return out;
}

}  // namespace qharness::masks
