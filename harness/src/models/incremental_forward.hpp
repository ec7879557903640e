#pragma once
// A model's no-grad forward that restarts at the first stage whose quantization changed.
//
// The clip searches evaluate the calibration loss again and again on one resident batch while
// changing few clips at a time: a coordinate line search (Powell's first sweep, coordinate
// descent) changes one clip, a finite-difference or quadratic-fit Hessian two, a loss surface
// one per inner step. The activations entering the stages before the first changed layer are
// then the same as last time: this class keeps each stage's input from the last call
// (memory-bounded) and runs only the stages from the first changed one on. The result is the
// full forward's, bit for bit: each stage computes from the same input tensor as before.
//
// What counts as a change of a stage (compared with the last call, exactly): any quantizable
// layer of it gets another quantizer, clip value, mask, weight or bias tensor (object or
// in-place version), or its slots' random generators another state (a stochastic quantizer
// always reruns its stage); and for the whole model, another input tensor (object, version or
// shape), any parameter or buffer changed in place, or another torch thread count (the
// summation order could change). A stage that modifies its cached input in place is not
// restarted from there again.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/model.hpp"

namespace qharness {

class IncrementalForward {
 public:
  struct Options {
    // The most bytes of stage inputs kept; a stage input that does not fit is not kept (an
    // evaluation then restarts at the nearest earlier kept one). 0: every call runs the whole
    // forward.
    std::int64_t memory_bytes = std::int64_t{1} << 30;
  };
  struct Stats {
    std::int64_t calls = 0;
    std::int64_t stages_run = 0;      // stages computed, over all calls
    std::int64_t stages_total = 0;    // stages a full forward would have computed
  };

  IncrementalForward(QModel& model, Options options);
  // model.forward(x) under no-grad, from the first changed stage on.
  at::Tensor operator()(const at::Tensor& x);
  // Forgets every kept input (the next call runs the whole forward).
  void clear();
  const Stats& stats() const { return stats_; }

 private:
  using Key = std::vector<std::uint64_t>;
  Key model_key(const at::Tensor& x) const;
  static Key stage_key(const ModelStage& stage);

  QModel& model_;
  Options options_;
  Key model_key_;
  std::vector<Key> stage_keys_;          // per stage, at the last call
  std::vector<at::Tensor> inputs_;       // per stage (and the output at the end): kept or undefined
  std::vector<std::int64_t> versions_;   // the kept tensors' versions when kept
  std::vector<bool> modifies_input_;     // the stage was seen writing into its input
  Stats stats_;
};

}  // namespace qharness
