#pragma once
#include <string>

// Keeps freed tensor memory in the process instead of handing it back to the kernel.
//
// Why: glibc's malloc serves a request at or above M_MMAP_THRESHOLD (128 KiB at start, raised
// by itself up to 32 MiB as mmapped blocks are freed) with a fresh mmap and unmaps it on free.
// Every activation-sized tensor of a forward pass then costs one page fault per 4 KiB page and
// the kernel's zero-filling of it, again on every pass: a resnet20 forward of 512 CIFAR images
// allocates 32 MiB tensors, above even the raised threshold. Measured with
// build/bin/qharness_bench_ptq_eval (docs/performance.md, "Allocator"): the FP32 resnet20
// calibration forward took 2.4x as long with glibc's defaults, lenet5's 1.5x.
//
// What: M_MMAP_THRESHOLD 256 MiB (larger requests are still mmapped: they are rare and worth
// returning) and M_TRIM_THRESHOLD 1 GiB (free memory at the heap's top beyond that is given
// back). The process keeps at most about its peak tensor memory; nothing else changes.
namespace qharness {

struct AllocatorTuning {
  bool applied = false;      // mallopt accepted both settings
  const char* reason = "";   // why not, when not applied
};

// Applies the settings above unless the user chose malloc settings of their own (any of
// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES set) or set
// QHARNESS_GLIBC_MALLOC=default (glibc's behaviour, for side-by-side measurements). Call it
// once, first thing in main(), before large allocations.
AllocatorTuning keep_freed_memory_in_process();

// One line for a benchmark's context: "tensor memory kept" or "glibc defaults: <reason>".
std::string describe(const AllocatorTuning& t);

}  // namespace qharness
