#include "tasks/clip_selection.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/text.hpp"

namespace qharness {

std::vector<StudiedClip> select_clips(const PtqModel& ptq, const std::string& params,
                                      const std::vector<std::string>& layers, const std::string& key) {
  const bool want_w = params != "activations", want_a = params != "weights";
  const auto& entries = ptq.calibrator->entries();
  // Every candidate clip, in calibrator order (layer order, weight before activation).
  std::vector<StudiedClip> candidates;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const ClipEntry& c = entries[e];
    if (c.weight ? !want_w : !want_a) continue;
    const NamedQuantLayer& l = ptq.plan.quantized[c.layer];
    QuantSlot* slot = c.weight ? &l.layer->weight_quant : &l.layer->input_quant;
    if (c.channel > 0 || slot->clip.numel() != 1)
      throw std::invalid_argument(key + ": layer '" + l.name + "' has a per-channel " +
                                  (c.weight ? "weight" : "activation") +
                                  " clip (quant.*.granularity); only per-tensor clips can be studied");
    std::string name = l.name;
    if (params == "both") name += c.weight ? ":w" : ":a";
    candidates.push_back({name, l.name, c.weight, slot, e, ptq.calibrator->bounds().upper[e]});
  }
  std::vector<std::string> order;   // candidate layers, in order, once each
  for (const auto& c : candidates)
    if (order.empty() || order.back() != c.layer) order.push_back(c.layer);
  if (order.empty())
    throw std::invalid_argument(key + ": no layer has a quantized " + (params == "both" ? std::string("weight or activation") : params.substr(0, params.size() - 1)) +
                                " clip (check quant.skip and the bit widths; 32 bits = not quantized)");
  std::vector<std::string> chosen;
  for (const std::string& n : layers) {
    if (n == "all") {
      chosen.insert(chosen.end(), order.begin(), order.end());
      continue;
    }
    std::string resolved = n;
    if (n == "first-quantized") resolved = order.front();
    else if (n == "last-quantized") resolved = order.back();
    else if (n == "second-quantized") {
      if (order.size() < 2)
        throw std::invalid_argument(key + ": 'second-quantized' needs two layers with a clip of this kind; there is only " + order.front());
      resolved = order[1];
    } else if (std::find(order.begin(), order.end(), n) == order.end()) {
      throw std::invalid_argument(key + ": '" + n + "' is not a layer with a quantized " + params + " clip; those are " +
                                  join(order, ", ") + " (or all, first-quantized, second-quantized, last-quantized)");
    }
    if (std::find(chosen.begin(), chosen.end(), resolved) != chosen.end())
      throw std::invalid_argument(key + ": layer '" + resolved + "' is named twice (as '" + n + "')");
    chosen.push_back(resolved);
  }
  std::vector<StudiedClip> out;
  for (const std::string& layer : chosen)
    for (const auto& c : candidates)
      if (c.layer == layer) out.push_back(c);
  return out;
}

}  // namespace qharness
