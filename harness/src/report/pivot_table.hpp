#pragma once
// The paper-style pivot of an experiment's /summary: rows = the values of the row keys,
// columns = the values of the column keys (joined by "/": W/A "4/4"), each cell the mean +-
// sample standard deviation (n-1) of one metric over the trials that share its row and
// column (the seeds). Failed trials are counted per cell ("[1 failed]") and listed under the
// table, never averaged; a cell without trials or values is "—"; the number of values is
// shown where it differs from the most common one ("(n=2)"). With a baseline, a degradation
// column follows each column: cell mean minus the baseline row's mean (LUQ: top-1 minus FP32).
#include <functional>
#include <optional>
#include <string>

#include "report/report_spec.hpp"
#include "report/text_table.hpp"
#include "results/h5_store.hpp"

namespace qharness {

// The value of a key that is not a /summary column: a config key that no trial sweeps, hence
// the same in every trial (std::nullopt when the config has no such key).
using ConstantKeyLookup = std::function<std::optional<std::string>(const std::string& path)>;

// Throws ConfigError naming the key when a row/column/where key is neither a /summary column
// nor a config key, or when the metric is not a numeric /summary column.
TextTable pivot_table(const h5::SummaryTable& summary, const ReportTableSpec& spec,
                      const ConstantKeyLookup& constant_key);

}  // namespace qharness
