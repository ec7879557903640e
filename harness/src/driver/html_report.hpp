#pragma once
// `qharness report results/<name> [results/<other> ...] --html FILE`: one self-contained HTML
// page to send to a colleague. Nothing in it is loaded from elsewhere: styles are inline and
// every image is a data: URI, so it opens offline, as a mail attachment.
//
// One section per experiment (a suite gives one page with a section per part), each with
//   - the report tables (what `qharness report` prints: the report: block's pivot tables, else
//     the summary table), with their notes;
//   - the figures of results/<name>/figures/*.png (what `./qh plot` drew), embedded;
//   - the provenance: qharness version, git commit and dirty flag, torch and HDF5 versions,
//     when it was written, the command (`qharness run FILE OVERRIDES`, from the file's
//     experiment_file and overrides attributes) and the experiment file as given;
//   - every trial: index, id, swept values, status, wall time, the error of a failed trial,
//     its resolved config, and each of its series (loss per epoch, loss per evaluation, ...)
//     as a small line plot (SVG) with its first, last, lowest and highest value.
#include <ostream>
#include <string>
#include <vector>

namespace qharness {

// Throws ConfigError like print_report when a folder holds no experiment file.
void write_html_report(const std::string& title, const std::vector<std::string>& experiment_dirs, std::ostream& out);

// write_html_report into `path`, written to a temporary name and renamed (a reader never sees
// half a page). Throws std::runtime_error naming the file when it cannot be written.
void write_html_report_file(const std::string& title, const std::vector<std::string>& experiment_dirs,
                            const std::string& path);

}  // namespace qharness
