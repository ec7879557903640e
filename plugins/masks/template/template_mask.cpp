// A mask plugin to copy: 1-D N:M by magnitude, written with tensor operations only.
//
// In every group of m consecutive input channels (at each output channel and kernel position)
// it keeps the n weights with the largest score; the score is |w|, or with `by_input_norm`
// |w| times the norm of the weight's input column (a cheap stand-in for activation-aware
// pruning). Because it keeps n of every m inputs it declares the 1-D N:M pattern; the harness
// then checks every mask against that pattern, measures kept magnitude against the exact N:M
// optimum, and computes mask diversity and the accelerated-GEMM share from it.
//
// To write your own: change pattern() if your masks satisfy another pattern, change compute()
// (or compute_all() to see every layer at once), and declare your options below. The driver
// gives every mask plugin the common options `n` and `m`. Check your masks in a unit test with
// qharness::masks::check_mask (qharness/masks/mask_check.hpp).
#include <ATen/ATen.h>
#include <qharness/plugin.hpp>

#include <stdexcept>
#include <vector>

namespace {

class TemplateMask : public qharness::Mask {
 public:
  explicit TemplateMask(const qharness::Params& p)
      : spec_{static_cast<int>(p.get_int("n")), static_cast<int>(p.get_int("m"))},
        by_input_norm_(p.get_bool("by_input_norm")) {
    spec_.validate(QHARNESS_PLUGIN_NAME);
  }

  qharness::MaskPattern pattern() const override { return qharness::MaskPattern::NM; }

  at::Tensor compute(const at::Tensor& weight) override {
    if (weight.dim() < 2) throw std::invalid_argument(QHARNESS_PLUGIN_NAME ": expected a weight [out, in, ...]");
    const std::int64_t out = weight.size(0), in = weight.size(1), kernel = weight.numel() / (out * in);
    const at::Tensor w = weight.detach().to(at::kCPU, at::kFloat).reshape({out, in, kernel});
    at::Tensor score = w.abs();
    const std::vector<std::int64_t> other_dims{0, 2};  // the input column: every output and kernel position
    if (by_input_norm_) score = score * w.pow(2).sum(other_dims, /*keepdim=*/true).sqrt();  // [1, in, 1]
    // Groups of m inputs as the last dim; a partial last group is padded with -1 (never kept).
    const std::int64_t groups = (in + spec_.m - 1) / spec_.m, padded = groups * spec_.m;
    score = at::constant_pad_nd(score.permute({0, 2, 1}), {0, padded - in}, -1.0).reshape({out, kernel, groups, spec_.m});
    const at::Tensor top = std::get<1>(score.topk(spec_.n, /*dim=*/-1));
    at::Tensor keep = at::zeros_like(score, score.options().dtype(at::kBool)).scatter_(-1, top, true).logical_and(score.ge(0));
    return keep.reshape({out, kernel, padded}).slice(2, 0, in).permute({0, 2, 1}).reshape(weight.sizes()).contiguous();
  }

 private:
  qharness::NMSpec spec_;
  bool by_input_norm_;
};

void register_plugins(qharness::Registrar& r) {
  r.add_mask({QHARNESS_PLUGIN_NAME, "template mask: 1-D N:M by |w| (or |w| x input-column norm)",
              {{"by_input_norm", qharness::ParamType::Bool, false,
                "score |w| times the norm of its input column instead of |w|"}}},
             [](const qharness::Params& p) { return std::make_unique<TemplateMask>(p); });
}

}  // namespace

QHARNESS_PLUGIN(register_plugins)
