#include "torchscript/torchscript_quantizer.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <mutex>
#include <sstream>
#include <stdexcept>

namespace qharness::torchscript {
namespace {

constexpr std::size_t kForward = 0, kCalibrate = 1;

std::string shape_of(const at::Tensor& t) {
  std::ostringstream s;
  s << t.scalar_type() << " tensor of shape " << t.sizes();
  return s.str();
}

}  // namespace

TorchScriptQuantizer::TorchScriptQuantizer(const Params& p)
    : module_(std::make_unique<ScriptModule>(
          p.get_string("module"),
          std::vector<MethodSpec>{
              {"forward", {ArgType::Tensor, ArgType::Tensor, ArgType::Int, ArgType::Bool},
               "forward(self, x: Tensor, clip: Tensor, bits: int, signed: bool) -> Tensor"},
              {"calibrate", {ArgType::Tensor, ArgType::Int, ArgType::Bool},
               "@torch.jit.export calibrate(self, x: Tensor, bits: int, signed: bool) -> Tensor"}})),
      bits_(p.get_int("bits")),
      per_channel_(p.get_string("granularity") == "per-channel") {
  if (p.get_string("rounding") != "nearest")
    throw std::invalid_argument(module_->file() + ": rounding: " + p.get_string("rounding") +
                                " does not apply to a torchscript quantizer (its module rounds as it likes, "
                                "stochastically with torch.rand); leave rounding at nearest");
  // A probe like a small Conv2d weight, signed and unsigned: calibrate must give a clip this
  // plugin can use and forward x's shape and dtype back.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  at::Tensor probe = at::randn({4, 3, 3, 3}, gen);
  for (bool is_signed : {true, false}) {
    at::Tensor x = is_signed ? probe : probe.abs();
    try {
      at::Tensor clip = calibrate_dim0(x, is_signed);
      at::Tensor q = forward_dim0(x, clip, is_signed, gen);
      if (q.scalar_type() != x.scalar_type() || !q.sizes().equals(x.sizes()))
        throw std::invalid_argument(module_->file() + ": forward returned a " + shape_of(q) + " for x, a " +
                                    shape_of(x) + "; it must return x's shape and dtype");
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(std::string(e.what()) + " (on a probe " + shape_of(x) + ")");
    }
  }
}

// calibrate on x with its channels at dim 0: 0-d (per-tensor) or [C] (per-channel).
at::Tensor TorchScriptQuantizer::calibrate_dim0(const at::Tensor& x, bool is_signed) const {
  at::NoGradGuard no_grad;
  auto one = [&](const at::Tensor& t) {
    at::Tensor c = module_->call(kCalibrate, {t, bits_, is_signed});
    if (c.scalar_type() != t.scalar_type() || (c.dim() != 0 && !(c.dim() == 1 && c.size(0) == (t.dim() ? t.size(0) : 1))))
      throw std::invalid_argument(module_->file() + ": calibrate returned a " + shape_of(c) + " for x, a " +
                                  shape_of(t) + "; it must return x's dtype, 0-d (one clip) or one value per entry of dim 0");
    return c;
  };
  at::Tensor c = one(x);
  if (!per_channel_) {
    if (c.dim() != 0)
      throw std::invalid_argument(module_->file() + ": calibrate returned one clip per channel (" + shape_of(c) +
                                  ") with granularity per-tensor; return a 0-d tensor or set granularity: per-channel");
    return c;
  }
  if (c.dim() == 1) return c;
  std::vector<at::Tensor> clips;
  clips.reserve(x.size(0));
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    at::Tensor ci = one(x[i]);
    if (ci.dim() != 0)
      throw std::invalid_argument(module_->file() + ": calibrate returned a " + shape_of(ci) +
                                  " for one channel; it must be 0-d there");
    clips.push_back(ci);
  }
  return at::stack(clips);
}

at::Tensor TorchScriptQuantizer::forward_dim0(const at::Tensor& x, const at::Tensor& clip, bool is_signed,
                                              at::Generator& generator) const {
  at::Tensor c = clip;
  if (c.dim() == 1 && x.dim() > 1) {
    std::vector<std::int64_t> shape(x.dim(), 1);
    shape[0] = c.size(0);
    c = c.reshape(shape);
  }
  // One lock for every torchscript quantizer: the default generator is process-wide. Its state
  // is put back after the call, so that code outside these modules never sees the reseeding.
  static std::mutex default_generator_lock;
  std::lock_guard<std::mutex> lock(default_generator_lock);
  std::uint64_t seed;
  {
    auto* impl = at::check_generator<at::CPUGeneratorImpl>(generator);
    std::lock_guard<std::mutex> gen_lock(generator.mutex());
    seed = impl->random64();
  }
  at::Generator def = at::detail::getDefaultCPUGenerator();
  at::Tensor saved;
  {
    std::lock_guard<std::mutex> gen_lock(def.mutex());
    saved = def.get_state();
    def.set_current_seed(seed);
  }
  struct Restore {
    at::Generator& def;
    const at::Tensor& saved;
    ~Restore() {
      std::lock_guard<std::mutex> gen_lock(def.mutex());
      def.set_state(saved);
    }
  } restore{def, saved};
  return module_->call(kForward, {x, c, bits_, is_signed});
}

at::Tensor TorchScriptQuantizer::calibrate(const at::Tensor& x, const QuantTarget& target) {
  const std::int64_t axis = x.dim() ? target.channel_axis : 0;
  return calibrate_dim0(axis ? x.movedim(axis, 0) : x, target.is_signed);
}

at::Tensor TorchScriptQuantizer::quantize(const at::Tensor& x, const at::Tensor& clip, const QuantTarget& target,
                                          at::Generator& generator) {
  const std::int64_t axis = x.dim() > target.channel_axis ? target.channel_axis : 0;
  if (axis == 0) return forward_dim0(x, clip, target.is_signed, generator);
  return forward_dim0(x.movedim(axis, 0), clip, target.is_signed, generator).movedim(0, axis);
}

}  // namespace qharness::torchscript
