#pragma once
// QHARNESS_VECTOR_CLONES: put on a hot element loop (a plain function, not a lambda and not a
// template) to have GCC compile it twice, for AVX2 and for the x86-64 baseline (SSE2), and pick
// the clone once at load time from the CPU it runs on (function multi-versioning, an ifunc).
// Functions it calls that are inlined into it are compiled for each target too.
//
// Results stay bit-identical across the clones: AVX2 alone adds no fused multiply-add (that
// is the separate FMA feature, deliberately not named), so float expressions round the same
// way; only the vector width changes. Elsewhere (other compilers or architectures) it expands
// to nothing and the loop is compiled once, for the baseline; so does -DQHARNESS_NO_VECTOR_CLONES.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && \
    !defined(QHARNESS_NO_VECTOR_CLONES)
#define QHARNESS_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define QHARNESS_VECTOR_CLONES
#endif
