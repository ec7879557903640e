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

// The value of config key `path` in the resolved config of the trial in /summary row `row`
// (std::nullopt when that config has no such key). It labels a row by a key /summary has no
// column for (a key no trial swept; two runs that each set it as one value, merged into one
// folder, can still differ in it) and fills a swept key's cell that a trial lacks (files
// written before /summary did so itself).
using ConfigKeyLookup = std::function<std::optional<std::string>(const std::string& path, std::size_t row)>;

// Throws ConfigError naming the key when a row/column/where key is neither a /summary column
// nor a key of any trial's config, or when the metric is not a numeric /summary column.
TextTable pivot_table(const h5::SummaryTable& summary, const ReportTableSpec& spec,
                      const ConfigKeyLookup& config_key);

}  // namespace qharness
