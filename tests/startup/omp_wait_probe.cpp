// What libgomp read at start and what main() sees, for the omp_wait.* tests (tests/CMakeLists.txt):
// choose_omp_wait() (util/omp_wait.hpp) must get its variable to libgomp, which read its
// environment before main(), leave the user's own settings alone and the rest of the
// environment as it was.
#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "util/omp_wait.hpp"

int main(int, char** argv) {
  qharness::choose_omp_wait(argv);
  at::set_num_threads(2);   // LibTorch in the process, as in the driver
  // libgomp's settings, GOMP_SPINCOUNT included, on stderr: libgomp's own omp_display_env, as
  // LibTorch runs on libgomp (a clang build links LLVM's libomp for our code besides it).
  void* libgomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
  auto display = libgomp ? reinterpret_cast<void (*)(int)>(dlsym(libgomp, "omp_display_env")) : nullptr;
  if (!display) {
    std::printf("libgomp is not loaded in this process\n");
    return 1;
  }
  display(1);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  const char* probe = std::getenv("QHARNESS_PROBE");
  std::printf("main sees OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s QHARNESS_PROBE=%s\n", policy ? policy : "(unset)",
              spin ? spin : "(unset)", probe ? probe : "(unset)");
  std::printf("rule: %s\n", qharness::omp_wait_description().c_str());
  return 0;
}
