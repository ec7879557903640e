#include "driver/mask_diversity_cmd.hpp"

#include <cstdio>
#include <stdexcept>

#include "config/config_error.hpp"
#include "qharness/masks/mask_diversity.hpp"

namespace qharness {

namespace {

masks::NMSpec parse_nm(const std::string& text) {
  const auto colon = text.find(':');
  masks::NMSpec s;
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    std::size_t used_n = 0, used_m = 0;
    const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
    s.n = std::stoi(a, &used_n);
    s.m = std::stoi(b, &used_m);
    if (used_n != a.size() || used_m != b.size()) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw ConfigError("mask-diversity: expected N:M (e.g. 2:4, keep 2 of every 4), got '" + text + "'");
  }
  try {
    s.validate("mask-diversity " + text);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(e.what());
  }
  return s;
}

}  // namespace

void print_mask_diversity(const MaskDiversityRequest& r, std::ostream& out) {
  const masks::NMSpec spec = parse_nm(r.nm);
  if (r.transposable && r.unstructured)
    throw ConfigError("mask-diversity: --transposable and --unstructured exclude each other");
  const std::int64_t size = r.size > 0 ? r.size : std::int64_t{spec.m} * spec.m;
  if (r.size < 0) throw ConfigError("mask-diversity: --size must be >= 1");
  const char* pattern = r.transposable ? "transposable N:M" : r.unstructured ? "unstructured" : "N:M";
  masks::BigInt count;
  try {
    count = r.transposable   ? masks::transposable_diversity(spec, size)
            : r.unstructured ? masks::unstructured_diversity(spec, size)
                             : masks::nm_diversity(spec, size);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("mask-diversity: ") + e.what());
  }
  char log10_text[64];
  std::snprintf(log10_text, sizeof log10_text, "%.6f", masks::log10_of(count));
  out << "pattern: " << pattern << " " << spec.n << ":" << spec.m << " (keep " << spec.n << " of every " << spec.m
      << (r.transposable ? " per row and per column of every " + std::to_string(spec.m) + "x" +
                               std::to_string(spec.m) + " block"
                         : std::string(r.unstructured ? ", anywhere" : " consecutive"))
      << ")\n"
      << "size: " << size << " weights\n"
      << "count: " << count << "\n"
      << "log10: " << log10_text << "\n";
}

}  // namespace qharness
