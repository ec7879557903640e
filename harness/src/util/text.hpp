#pragma once
// Small text helpers shared by the config system, the driver and the report.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qharness {

std::vector<std::string> split(std::string_view text, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);

// A whole number in decimal digits with an optional '-', nothing else ("0x1", "1.9", " 1",
// "+1" and out-of-range values are nullopt).
std::optional<std::int64_t> parse_whole_number(std::string_view text);

// Shortest text that reads back to exactly the same double ("0.1", "1e-05", "3").
std::string format_double(double value);

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` when it is close enough to be a plausible typo, else "".
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// 64-bit FNV-1a: a fixed, documented function, so that ids agree across machines and builds.
std::uint64_t fnv1a64(std::string_view text);

// Current UTC time as ISO 8601 with seconds ("2026-11-25T22:47:49Z").
std::string utc_now_iso8601();

}  // namespace qharness
