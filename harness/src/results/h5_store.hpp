#pragma once
// The HDF5 results store: trial files, shard files and the experiment file
// (results/<name>/<name>.h5). The layout is a contract with users who open the files with
// h5py; it is described in docs/design.md ("Results") and, field by field, in h5_store.cpp.
//
// Errors: malformed input records throw std::invalid_argument before anything touches the
// disk; every other failure (I/O, HDF5, a file that is not a qharness results file) throws
// std::runtime_error whose message names the operation, the file and the cause.
// The HDF5 library is not thread-safe in Debian's serial build: call these from one thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "results/trial_record.hpp"

namespace qharness::h5 {

// Writes one trial to `path` atomically: writes temporary_name(path) (results_layout.hpp) in
// the same folder, closes it, fsyncs it, then rename()s it over `path`. A process killed at
// any moment leaves either the old file or the new one, never a half-written one (but
// possibly a stale ".tmp-<host>-<pid>" file beside it, which readers should ignore).
void write_trial_file(const std::string& path, const Provenance& prov, const TrialRecord& trial);

struct TrialInfo {
  std::string id;
  std::int64_t index = 0;
  std::string status;    // "done" | "failed" | "damaged" (see `damage`)
  std::string file;      // the results file that holds /trials/<id>
  std::string damage;    // why the stored trial cannot be trusted; "" when it is intact
};

// The trials a results file holds (a trial file, a shard file or an experiment file), in
// ascending index order. Every trial is read in full and checked against its checksum
// (trial_checksum.hpp; trials written before checksums existed are taken as they are): a
// trial that does not match, or whose group HDF5 cannot read, is listed with status
// "damaged" and the reason in `damage`, and the others are listed as usual. Throws
// std::runtime_error naming the file and the cause when the file itself is unreadable or
// not a qharness results file.
std::vector<TrialInfo> list_trials(const std::string& path);

// Writes `out_path` atomically (same temp+fsync+rename): the root provenance attributes,
// a copy of each listed trial's group /trials/<id> taken from TrialInfo::file with H5Ocopy,
// in ascending index order, and the /summary table built from the copied groups.
// The same id listed twice is an error (std::invalid_argument). A source file may be
// `out_path` itself: the old file is read while the new one is written beside it.
void write_consolidated(const std::string& out_path, const Provenance& prov,
                        const std::vector<TrialInfo>& trials);

Provenance read_provenance(const std::string& path);

// The resolved config (attribute `config`) of every trial the file holds, by trial id, without
// reading the trials' data: `qharness report` labels each /summary row with its own trial's
// config where /summary has no column for a key.
std::map<std::string, std::string> read_trial_configs(const std::string& path);

// Everything back, for tests and merge checks. Throws std::runtime_error when the trial does
// not match its checksum.
TrialRecord read_trial(const std::string& path, const std::string& id);

// The /summary table of an experiment (or shard) file as text cells, for `qharness report`:
// integers as integers, other numbers as %.6g, NaN as "nan", strings as stored.
// `numbers` holds the stored values of numeric cells at full precision (NaN in text columns),
// for aggregation (`qharness report`'s pivot tables).
struct SummaryTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> numbers;  // [row][column], like rows
};
SummaryTable read_summary(const std::string& path);
// The index of column `name` in `table` (std::nullopt when it has none).
std::optional<std::size_t> column_index(const SummaryTable& table, const std::string& name);

}  // namespace qharness::h5
