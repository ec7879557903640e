#include "run/provenance.hpp"

#include <torch/version.h>
#include <H5public.h>

#include <array>
#include <cstdio>
#include <memory>

#include "util/text.hpp"

#ifndef QHARNESS_SOURCE_DIR
#define QHARNESS_SOURCE_DIR ""
#endif
#ifndef QHARNESS_VERSION
#define QHARNESS_VERSION "unknown"
#endif
#ifndef QHARNESS_BUILD_GIT_COMMIT
#define QHARNESS_BUILD_GIT_COMMIT "unknown"
#endif

namespace qharness {
namespace {

// Output of a shell command, or nullopt-like "" with ok=false when it fails.
std::string command_output(const std::string& cmd, bool& ok) {
  std::array<char, 256> buf{};
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    ok = false;
    return "";
  }
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  ok = pclose(pipe.release()) == 0;
  return trim(out);
}

}  // namespace

Provenance make_provenance(const Experiment& exp) {
  Provenance p;
  p.qharness_version = QHARNESS_VERSION;
  p.torch_version = TORCH_VERSION;
  p.hdf5_version = std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + "." + std::to_string(H5_VERS_RELEASE);
  p.created = utc_now_iso8601();
  // The commit of the sources this binary was built from: asked of git at run time, because
  // an incremental build does not re-run CMake after a commit.
  const std::string src = QHARNESS_SOURCE_DIR;
  bool ok = false;
  std::string commit = src.empty() ? "" : command_output("git -C '" + src + "' rev-parse --verify -q HEAD 2>/dev/null", ok);
  if (ok && !commit.empty()) {
    p.git_commit = commit;
    std::string status = command_output("git -C '" + src + "' status --porcelain --untracked-files=no 2>/dev/null", ok);
    p.git_dirty = ok && !status.empty();
  } else {
    p.git_commit = QHARNESS_BUILD_GIT_COMMIT;
  }
  p.experiment_file = exp.raw.file;
  p.experiment_yaml = exp.raw.text;
  p.overrides = join(exp.raw.overrides, " ");
  for (const auto& t : exp.trials) p.sweep_trial_ids.push_back(t.id);
  return p;
}

}  // namespace qharness
