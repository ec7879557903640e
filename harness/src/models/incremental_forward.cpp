#include "models/incremental_forward.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cstring>

namespace qharness {
namespace {

using Key = std::vector<std::uint64_t>;

void add_tensor_identity(Key& k, const at::Tensor& t) {
  k.push_back(t.defined() ? reinterpret_cast<std::uintptr_t>(t.unsafeGetTensorImpl()) : 0);
  k.push_back(t.defined() ? static_cast<std::uint64_t>(t._version()) : 0);
}

// The bytes of a small tensor's values (a clip, a generator state), 8 at a time.
void add_tensor_values(Key& k, const at::Tensor& t) {
  if (!t.defined()) {
    k.push_back(~std::uint64_t{0});
    return;
  }
  const at::Tensor c = t.detach().to(at::kCPU).contiguous();
  k.push_back(static_cast<std::uint64_t>(c.scalar_type()));
  for (std::int64_t d : c.sizes()) k.push_back(static_cast<std::uint64_t>(d));
  const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
  const std::size_t n = c.nbytes();
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes + i, std::min<std::size_t>(8, n - i));
    k.push_back(word);
  }
}

void add_slot(Key& k, const QuantSlot& s) {
  k.push_back(reinterpret_cast<std::uintptr_t>(s.quantizer.get()));
  if (!s.active()) return;
  add_tensor_values(k, s.clip);
  k.push_back(s.generator.defined() ? 1 : 0);
  if (s.generator.defined()) add_tensor_values(k, s.generator.get_state());
}

}  // namespace

IncrementalForward::IncrementalForward(QModel& model, Options options) : model_(model), options_(options) {}

void IncrementalForward::clear() {
  inputs_.clear();
  versions_.clear();
  stage_keys_.clear();
  model_key_.clear();
}

Key IncrementalForward::model_key(const at::Tensor& x) const {
  Key k;
  add_tensor_identity(k, x);
  for (std::int64_t d : x.sizes()) k.push_back(static_cast<std::uint64_t>(d));
  k.push_back(static_cast<std::uint64_t>(at::get_num_threads()));
  k.push_back(model_.is_training() ? 1 : 0);
  for (const auto& p : model_.parameters()) add_tensor_identity(k, p);
  for (const auto& b : model_.buffers()) add_tensor_identity(k, b);
  return k;
}

Key IncrementalForward::stage_key(const ModelStage& stage) {
  Key k;
  for (QuantLayer* l : stage.layers) {
    add_slot(k, l->weight_quant);
    add_slot(k, l->input_quant);
    k.push_back(l->grad_quant.active() ? 1 : 0);   // identity in forward, but its graph node
    add_tensor_identity(k, l->weight_mask);
    add_tensor_identity(k, l->weight_param());
    add_tensor_identity(k, l->bias_param());
  }
  return k;
}

at::Tensor IncrementalForward::operator()(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  const std::vector<ModelStage> stages = model_.stages();
  const std::size_t n = stages.size();
  ++stats_.calls;
  stats_.stages_total += static_cast<std::int64_t>(n);

  Key mk = model_key(x);
  std::vector<Key> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = stage_key(stages[i]);
  if (mk != model_key_ || inputs_.size() != n + 1) {
    clear();
    inputs_.assign(n + 1, at::Tensor());
    versions_.assign(n + 1, 0);
    modifies_input_.assign(n, false);
  }
  // The first stage that changed (n: none), then the nearest kept input at or before it.
  std::size_t changed = 0;
  while (changed < n && changed < stage_keys_.size() && keys[changed] == stage_keys_[changed]) ++changed;
  std::size_t start = changed;
  auto usable = [&](std::size_t i) {
    return i == 0 || (inputs_[i].defined() && inputs_[i]._version() == versions_[i]);
  };
  while (start > 0 && !usable(start)) --start;
  at::Tensor h = start == 0 ? x : inputs_[start];
  if (start == n) return h;   // nothing changed: the kept output

  // Forget what the rerun replaces, then keep each new stage input while the budget allows.
  std::int64_t kept = 0;
  for (std::size_t i = 1; i <= start; ++i)
    if (inputs_[i].defined()) kept += static_cast<std::int64_t>(inputs_[i].nbytes());
  for (std::size_t i = start + 1; i <= n; ++i) inputs_[i] = at::Tensor();
  for (std::size_t i = start; i < n; ++i) {
    const std::int64_t version_before = h._version();
    at::Tensor out = stages[i].run(h);
    ++stats_.stages_run;
    if (h._version() != version_before) {   // the stage wrote into its input: never restart there
      modifies_input_[i] = true;
      if (i > 0) inputs_[i] = at::Tensor();
    }
    h = out;
    const auto bytes = static_cast<std::int64_t>(h.nbytes());
    const bool keep = i + 1 == n || (!modifies_input_[i + 1] && kept + bytes <= options_.memory_bytes);
    if (keep && options_.memory_bytes > 0) {
      inputs_[i + 1] = h;
      versions_[i + 1] = h._version();
      kept += bytes;
    }
  }
  stage_keys_ = std::move(keys);
  model_key_ = std::move(mk);
  return h;
}

}  // namespace qharness
