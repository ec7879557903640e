#pragma once
// Running other programs: the Slurm commands (sbatch, squeue) and the figure scripts.
#include <string>

namespace qharness {

// A word for bash: unchanged when it is made of safe characters, else single-quoted.
std::string shell_quote(const std::string& word);

// Runs `command` with /bin/sh and returns its standard output; throws std::runtime_error
// with the command, its exit status and its output when it cannot start or exits non-zero.
std::string run_capturing(const std::string& command);

}  // namespace qharness
