#include "driver/html_report.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "driver/report.hpp"
#include "results/h5_store.hpp"
#include "results/results_layout.hpp"
#include "util/base64.hpp"
#include "util/text.hpp"

namespace fs = boost::filesystem;

namespace qharness {
namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// An id attribute from a name ("quickstart-ptq" stays; anything else becomes '-').
std::string anchor(std::string_view name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
  return out;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path.string(), std::ios::binary);
  if (!in) throw std::runtime_error("report --html: cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string data_uri(const std::string& mime, const std::string& bytes) {
  return "data:" + mime + ";base64," + base64_encode(bytes);
}

// Numbers in plot labels: 4 significant digits.
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ccc; margin-top: 2.5em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fde8e8; }
ul.notes { font-size: 0.85em; color: #555; margin-top: -0.6em; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 34em; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
.series { display: inline-block; margin: 0.3em 0.6em 0.3em 0; font-size: 0.8em; color: #444; }
.series img { display: block; border: 1px solid #ddd; }
details { margin: 0.3em 0; }
)";

// One series as a small line plot: an SVG of the finite values, drawn in order, with the
// lowest and highest value as axis labels. Returned as a data: URI for an <img>.
std::string series_svg(const std::vector<double>& values) {
  constexpr double kWidth = 260, kHeight = 90, kLeft = 48, kRight = 6, kTop = 8, kBottom = 14;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << kHeight
      << "' viewBox='0 0 " << kWidth << " " << kHeight << "'>"
      << "<rect width='100%' height='100%' fill='white'/>"
      << "<line x1='" << kLeft << "' y1='" << kTop << "' x2='" << kLeft << "' y2='" << kHeight - kBottom
      << "' stroke='#999'/><line x1='" << kLeft << "' y1='" << kHeight - kBottom << "' x2='" << kWidth - kRight
      << "' y2='" << kHeight - kBottom << "' stroke='#999'/>";
  if (std::isfinite(lo)) {
    const double span = hi > lo ? hi - lo : 1.0;
    const std::size_t n = values.size();
    auto x = [&](std::size_t i) { return kLeft + (n > 1 ? (kWidth - kLeft - kRight) * i / double(n - 1) : (kWidth - kLeft - kRight) / 2); };
    auto y = [&](double v) { return kHeight - kBottom - (kHeight - kTop - kBottom) * (hi > lo ? (v - lo) / span : 0.5); };
    svg << "<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='";
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(values[i])) svg << x(i) << "," << y(values[i]) << " ";
    svg << "'/>";
    if (n == 1) svg << "<circle cx='" << x(0) << "' cy='" << y(values[0]) << "' r='2.5' fill='#1f77b4'/>";
    svg << "<text x='" << kLeft - 3 << "' y='" << kTop + 8 << "' font-size='9' text-anchor='end'>" << short_number(hi)
        << "</text><text x='" << kLeft - 3 << "' y='" << kHeight - kBottom << "' font-size='9' text-anchor='end'>"
        << short_number(lo) << "</text>";
  }
  svg << "<text x='" << kLeft << "' y='" << kHeight - 2 << "' font-size='9'>1</text><text x='" << kWidth - kRight
      << "' y='" << kHeight - 2 << "' font-size='9' text-anchor='end'>" << values.size() << "</text></svg>";
  return data_uri("image/svg+xml", svg.str());
}

// A cell that is one number ("0.25", "-1e-05", "12"), right-aligned; not "nan" or a label.
bool numeric_cell(const std::string& cell) {
  if (cell.empty() || !std::isdigit(static_cast<unsigned char>(cell.back()))) return false;
  char* end = nullptr;
  std::strtod(cell.c_str(), &end);
  return *end == '\0';
}

void write_table(const TextTable& table, std::ostream& out) {
  out << "<table>\n";
  if (!table.title.empty()) out << "<caption>" << escape(table.title) << "</caption>\n";
  out << "<thead><tr>";
  for (const auto& h : table.header) out << "<th>" << escape(h) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.body) {
    out << "<tr>";
    for (const auto& cell : row)
      out << (numeric_cell(cell) ? "<td class=\"num\">" : "<td>") << escape(cell) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody>\n</table>\n";
  if (!table.notes.empty()) {
    out << "<ul class=\"notes\">";
    for (const auto& n : table.notes) out << "<li>" << escape(n) << "</li>";
    out << "</ul>\n";
  }
}

void write_provenance(const Provenance& p, std::ostream& out) {
  std::string command = "qharness run " + p.experiment_file;
  if (!p.overrides.empty()) command += " " + p.overrides;
  out << "<table class=\"provenance\">\n<caption>Provenance</caption>\n<tbody>\n";
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"command", command},
      {"git commit", p.git_commit},
      {"uncommitted changes (git dirty)", p.git_dirty ? "yes" : "no"},
      {"qharness", p.qharness_version},
      {"torch", p.torch_version},
      {"HDF5", p.hdf5_version},
      {"written", p.created},
  };
  for (const auto& [k, v] : rows) out << "<tr><th>" << escape(k) << "</th><td>" << escape(v) << "</td></tr>\n";
  out << "</tbody>\n</table>\n";
  out << "<details><summary>experiment file as given (" << escape(p.experiment_file) << ")</summary><pre>"
      << escape(p.experiment_yaml) << "</pre></details>\n";
}

void write_figures(const ResultsLayout& layout, std::ostream& out) {
  std::vector<fs::path> pngs;
  const fs::path dir = layout.dir / "figures";
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".png") pngs.push_back(entry.path());
  std::sort(pngs.begin(), pngs.end());
  out << "<h3>Figures</h3>\n";
  if (pngs.empty()) {
    out << "<p>No figures in " << escape(dir.string()) << " (<code>./qh plot " << escape(layout.dir.string())
        << "</code> draws those that fit its trials).</p>\n";
    return;
  }
  for (const auto& png : pngs)
    out << "<figure><img src=\"" << data_uri("image/png", read_bytes(png)) << "\" alt=\""
        << escape(png.stem().string()) << "\"><figcaption>" << escape(png.filename().string())
        << "</figcaption></figure>\n";
}

void write_trials(const std::string& file, std::ostream& out) {
  const std::vector<h5::TrialInfo> infos = h5::list_trials(file);
  out << "<h3>Trials</h3>\n<table class=\"trials\">\n<thead><tr><th>#</th><th>trial id</th><th>swept values</th>"
         "<th>status</th><th>wall time (s)</th><th>error</th></tr></thead>\n<tbody>\n";
  std::vector<TrialRecord> trials;
  for (const auto& info : infos) {
    TrialRecord t = h5::read_trial(file, info.id);
    out << "<tr class=\"" << escape(t.status) << "\"><td class=\"num\">" << t.index << "</td><td><a href=\"#trial-"
        << escape(t.id) << "\">" << escape(t.id) << "</a></td><td>" << escape(t.swept_yaml) << "</td><td>"
        << escape(t.status) << "</td><td class=\"num\">" << escape(short_number(t.wall_s)) << "</td><td>"
        << escape(t.error) << "</td></tr>\n";
    trials.push_back(std::move(t));
  }
  out << "</tbody>\n</table>\n";
  for (const auto& t : trials) {
    out << "<details id=\"trial-" << escape(t.id) << "\"><summary>trial " << t.index << " (" << escape(t.id)
        << ", " << escape(t.status) << "): " << escape(t.swept_yaml) << "</summary>\n";
    if (!t.error.empty()) out << "<p><strong>error:</strong> " << escape(t.error) << "</p>\n";
    for (const auto& [name, values] : t.series) {
      double lo = INFINITY, hi = -INFINITY;
      for (double v : values)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
      out << "<div class=\"series\"><img src=\"" << series_svg(values) << "\" alt=\"series " << escape(name)
          << "\" width=\"260\" height=\"90\">" << escape(name) << ": " << values.size() << " value(s)";
      if (!values.empty())
        out << ", first " << short_number(values.front()) << ", last " << short_number(values.back())
            << ", min " << short_number(lo) << ", max " << short_number(hi);
      out << "</div>\n";
    }
    out << "<pre>" << escape(t.config_yaml) << "</pre>\n</details>\n";
  }
}

void write_experiment(const std::string& experiment_dir, std::ostream& out) {
  const ExperimentReport report = build_report(experiment_dir, ReportOptions{});
  const ResultsLayout layout = ResultsLayout::from_dir(experiment_dir);
  const h5::SummaryTable summary = h5::read_summary(report.file);
  std::size_t failed = 0;
  for (std::size_t c = 0; c < summary.columns.size(); ++c)
    if (summary.columns[c] == "status")
      for (const auto& row : summary.rows) failed += row[c] == "failed";

  out << "<section id=\"" << anchor(report.name) << "\">\n<h2>" << escape(report.name) << "</h2>\n<p>"
      << report.trials << " trial(s): " << report.trials - failed << " done, " << failed << " failed. Results: <code>"
      << escape(report.file) << "</code></p>\n";
  out << "<h3>Tables</h3>\n";
  for (const auto& table : report.tables) write_table(table, out);
  write_figures(layout, out);
  write_provenance(h5::read_provenance(report.file), out);
  write_trials(report.file, out);
  out << "</section>\n";
}

}  // namespace

void write_html_report(const std::string& title, const std::vector<std::string>& experiment_dirs, std::ostream& out) {
  // Everything is read before the first byte is written: a missing experiment file is an
  // error with nothing half-written.
  std::ostringstream body;
  for (const auto& dir : experiment_dirs) write_experiment(dir, body);
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << escape(title)
      << "</title>\n\n<style>" << kStyle << "</style>\n</head>\n<body>\n<h1>" << escape(title) << "</h1>\n"
      << "<p>Written by <code>qharness report</code> on " << escape(utc_now_iso8601()) << ".</p>\n";
  if (experiment_dirs.size() > 1) {
    out << "<nav><ul>";
    for (const auto& dir : experiment_dirs) {
      const std::string name = ResultsLayout::from_dir(dir).name;
      out << "<li><a href=\"#" << anchor(name) << "\">" << escape(name) << "</a></li>";
    }
    out << "</ul></nav>\n";
  }
  out << body.str() << "</body>\n</html>\n";
}

void write_html_report_file(const std::string& title, const std::vector<std::string>& experiment_dirs,
                            const std::string& path) {
  std::ostringstream page;
  write_html_report(title, experiment_dirs, page);
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const fs::path temp = target.string() + ".tmp";
  {
    std::ofstream out(temp.string(), std::ios::binary);
    out << page.str();
    if (!out.flush()) throw std::runtime_error("report --html: cannot write " + temp.string());
  }
  fs::rename(temp, target);
}

}  // namespace qharness
