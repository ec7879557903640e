#include "driver/slurm_chain.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "driver/slurm.hpp"
#include "util/shell.hpp"
#include "util/text.hpp"

namespace qharness {
namespace {

const std::string& id_of(const std::string& var, const std::vector<std::pair<std::string, std::string>>& ids) {
  for (const auto& [v, id] : ids)
    if (v == var) return id;
  throw std::logic_error("slurm: dependency on '" + var + "', which is not submitted before it");
}

std::string dependency(const char* type, const std::vector<std::string>& vars,
                       const std::vector<std::pair<std::string, std::string>>& ids) {
  std::string s = type;
  for (const auto& v : vars) s += ":" + id_of(v, ids);
  return s;
}

}  // namespace

std::string sbatch_arguments(const SbatchCall& call, const std::vector<std::pair<std::string, std::string>>& ids) {
  std::string s = "--parsable";
  if (!call.array.empty()) s += " --array=" + call.array;
  std::vector<std::string> deps;
  if (!call.afterok.empty()) deps.push_back(dependency("afterok", call.afterok, ids));
  if (!call.afterany.empty()) deps.push_back(dependency("afterany", call.afterany, ids));
  // A comma: every listed dependency must hold (a `?` would mean any one of them).
  if (!deps.empty()) s += " --dependency=" + join(deps, ",");
  if (!call.afterok.empty()) s += " --kill-on-invalid-dep=yes";
  return s;
}

std::string render_submit_script(const std::string& header, const std::vector<SbatchCall>& calls,
                                 const std::string& sbatch) {
  static const std::regex var_name("^[a-z][a-z0-9_]*$");
  std::ostringstream out;
  out << "#!/bin/bash\n" << header << "set -eu\n";
  std::vector<std::pair<std::string, std::string>> ids;
  for (const auto& c : calls) {
    if (!std::regex_match(c.var, var_name)) throw std::logic_error("slurm: bad variable name '" + c.var + "'");
    out << "# " << c.label << "\n"
        << c.var << "=$(" << shell_quote(sbatch) << " " << sbatch_arguments(c, ids) << " " << shell_quote(c.script)
        << ")\n"
        << c.var << "=${" << c.var << "%%;*}\n"   // `sbatch --parsable` prints "id" or "id;cluster"
        << "echo \"" << c.var << " $" << c.var << "\"\n";
    ids.emplace_back(c.var, "\"$" + c.var + "\"");
  }
  return out.str();
}

std::vector<std::string> submit_chain(const std::vector<SbatchCall>& calls, const std::string& sbatch) {
  std::vector<std::pair<std::string, std::string>> ids;
  std::vector<std::string> out;
  for (const auto& c : calls) {
    try {
      const std::string id = parse_sbatch_job_id(
          run_capturing(shell_quote(sbatch) + " " + sbatch_arguments(c, ids) + " " + shell_quote(c.script)));
      ids.emplace_back(c.var, id);
      out.push_back(id);
    } catch (const std::exception& e) {
      std::string submitted;
      for (std::size_t i = 0; i < out.size(); ++i)
        submitted += (i ? ", " : "") + calls[i].label + " (job " + out[i] + ")";
      throw std::runtime_error("slurm: submitting the " + c.label + " failed: " + e.what() +
                               (out.empty() ? std::string("; nothing was submitted")
                                            : "; already submitted: " + submitted +
                                                  " (scancel them, or let them run and submit again: "
                                                  "only what is missing is submitted)"));
    }
  }
  return out;
}

}  // namespace qharness
