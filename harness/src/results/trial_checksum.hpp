#pragma once
// A checksum of everything a trial recorded, stored with it (the trial group's attribute
// `checksum`) and checked whenever the trial is read back.
//
// HDF5 checksums a file's metadata (object headers, B-trees) but not the raw data of a
// contiguous dataset nor the variable-length strings of the global heap: a flipped bit in a
// metric, a series, an array or the config text would be read back silently. A trial whose
// content no longer matches its checksum counts as damaged: resume warns and reruns it.
#include <cstdint>

#include "results/trial_record.hpp"

namespace qharness {

// CRC-32 (the zlib/PNG polynomial, Boost.CRC's crc_32_type) of a length-prefixed,
// little-endian serialization of the record's id, index, seed, config, swept, status, error,
// started, finished, wall_s, threads (when not 0), metrics, series and arrays (names, shapes, element types,
// values and layer names), in their recorded order.
std::uint32_t trial_checksum(const TrialRecord& trial);

}  // namespace qharness
