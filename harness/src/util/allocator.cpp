#include "util/allocator.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Under AddressSanitizer (build-sanitize/, docs/reliability.md) malloc is ASan's own allocator
// and its mallopt interceptor does nothing: the settings are skipped and the reason says so.
#if defined(__SANITIZE_ADDRESS__)
#define QHARNESS_ASAN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QHARNESS_ASAN_ALLOCATOR 1
#endif
#endif

namespace qharness {

AllocatorTuning keep_freed_memory_in_process() {
  AllocatorTuning t;
#if defined(QHARNESS_ASAN_ALLOCATOR)
  t.reason = "AddressSanitizer's allocator serves malloc";
#elif defined(__GLIBC__)
  for (const char* user : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"})
    if (std::getenv(user)) {
      t.reason = "the environment sets malloc's own settings";
      return t;
    }
  if (const char* mode = std::getenv("QHARNESS_GLIBC_MALLOC"); mode && std::strcmp(mode, "default") == 0) {
    t.reason = "QHARNESS_GLIBC_MALLOC=default";
    return t;
  }
  t.applied = mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1;
  t.applied = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 && t.applied;
  if (!t.applied) t.reason = "mallopt refused the settings";
#else
  t.reason = "not glibc's malloc";
#endif
  return t;
}

std::string describe(const AllocatorTuning& t) {
  return t.applied ? "tensor memory kept (util/allocator.hpp)" : std::string("glibc defaults: ") + t.reason;
}

}  // namespace qharness
