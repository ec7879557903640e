#pragma once
// The name of the machine this process runs on, as lock files and temporary file names
// record it (results folders are shared between the hosts of a cluster).
#include <string>

namespace qharness {

// gethostname(), with any character other than letters, digits, '-', '.' and '_' replaced
// by '_' (it becomes part of file names); "unknown-host" when there is none.
std::string this_host();

}  // namespace qharness
