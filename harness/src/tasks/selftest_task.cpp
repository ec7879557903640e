// The selftest task. Functions:
//   quadratic   (x-c)^T A (x-c), A = Q diag(l) Q^T with a seeded rotation Q and l in [1, 10],
//               c in [-2, 2]^n: minimum 0 at c.
//   rosenbrock  sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 from a seeded start near
//               (-1.2, 1, -1.2, ...): minimum 0 at (1, ..., 1).
//   quant-mse   the clip of the configured quantizer that minimizes the quantization MSE of a
//               seeded Gaussian tensor: a one-layer LAPQ, exercising a quantizer and an optimizer.
//   nan         always NaN: exercises failure handling (the trial fails with the reason).
// Random numbers come from std::mt19937_64 (fully specified by the standard) turned into
// doubles by hand, so that the same seed gives the same numbers on every machine.
#include "tasks/selftest_task.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "config/experiment_schema.hpp"
#include "tasks/traced_minimize.hpp"

namespace qharness {
namespace {

class PortableRandom {
 public:
  explicit PortableRandom(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller, one value per call
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  std::mt19937_64 engine_;
};

struct Problem {
  Objective objective;
  std::vector<double> x0;
  std::vector<double> minimizer;   // known minimum, empty when unknown
};

Problem quadratic(std::size_t n, PortableRandom& rng) {
  // Q: Gram-Schmidt on a Gaussian matrix (rows are orthonormal).
  std::vector<std::vector<double>> q(n, std::vector<double>(n));
  for (auto& row : q) for (auto& v : row) v = rng.normal();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      double d = 0;
      for (std::size_t k = 0; k < n; ++k) d += q[i][k] * q[j][k];
      for (std::size_t k = 0; k < n; ++k) q[i][k] -= d * q[j][k];
    }
    double norm = 0;
    for (double v : q[i]) norm += v * v;
    for (double& v : q[i]) v /= std::sqrt(norm);
  }
  std::vector<double> lambda(n), c(n);
  for (auto& l : lambda) l = rng.uniform(1.0, 10.0);
  for (auto& v : c) v = rng.uniform(-2.0, 2.0);
  std::vector<std::vector<double>> a(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t k = 0; k < n; ++k) a[i][j] += q[k][i] * lambda[k] * q[k][j];

  Problem p;
  p.x0.assign(n, 0.0);
  p.minimizer = c;
  auto value_and_gradient = [a, c, n](const std::vector<double>& x, std::vector<double>* g) {
    std::vector<double> d(n), ad(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) d[i] = x[i] - c[i];
    double f = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) ad[i] += a[i][j] * d[j];
      f += d[i] * ad[i];
    }
    if (g) {
      g->resize(n);
      for (std::size_t i = 0; i < n; ++i) (*g)[i] = 2.0 * ad[i];
    }
    return f;
  };
  p.objective.value = [value_and_gradient](const std::vector<double>& x) { return value_and_gradient(x, nullptr); };
  p.objective.value_and_gradient = [value_and_gradient](const std::vector<double>& x, std::vector<double>& g) {
    return value_and_gradient(x, &g);
  };
  return p;
}

Problem rosenbrock(std::size_t n, PortableRandom& rng) {
  Problem p;
  p.x0.resize(n);
  for (std::size_t i = 0; i < n; ++i) p.x0[i] = (i % 2 == 0 ? -1.2 : 1.0) + rng.uniform(-0.1, 0.1);
  p.minimizer.assign(n, 1.0);
  auto value_and_gradient = [n](const std::vector<double>& x, std::vector<double>* g) {
    double f = 0;
    if (g) g->assign(n, 0.0);
    for (std::size_t i = 0; i + 1 < n; ++i) {
      double t = x[i + 1] - x[i] * x[i], u = 1.0 - x[i];
      f += 100.0 * t * t + u * u;
      if (g) {
        (*g)[i] += -400.0 * t * x[i] - 2.0 * u;
        (*g)[i + 1] += 200.0 * t;
      }
    }
    return f;
  };
  p.objective.value = [value_and_gradient](const std::vector<double>& x) { return value_and_gradient(x, nullptr); };
  p.objective.value_and_gradient = [value_and_gradient](const std::vector<double>& x, std::vector<double>& g) {
    return value_and_gradient(x, &g);
  };
  return p;
}

void record_minimum(TrialContext& ctx, const TracedMinimum& m, const std::vector<double>& minimizer) {
  ctx.metric("f_star", m.result.f);
  ctx.metric("evals", static_cast<double>(m.evaluations));
  ctx.metric("function_evals", static_cast<double>(m.function_evaluations));
  ctx.metric("gradient_evals", static_cast<double>(m.gradient_evaluations));
  ctx.metric("iterations", static_cast<double>(m.result.iterations));
  ctx.metric("moved", moved_fraction(m.x0, m.result.x));
  ctx.metric("converged", m.result.converged ? 1.0 : 0.0);
  if (!minimizer.empty()) {
    double err = 0;
    for (std::size_t i = 0; i < minimizer.size(); ++i) err = std::max(err, std::abs(m.result.x[i] - minimizer[i]));
    ctx.metric("x_error", err);
  }
  ctx.series("loss_trace", m.trace);
  ctx.array("x_star", NdArray{{m.result.x.size()}, m.result.x, {}});
}

void run_quant_mse(TrialContext& ctx, PortableRandom& rng, Optimizer& optimizer) {
  const auto size = ctx.config().get_int("selftest.size");
  std::vector<float> values(static_cast<std::size_t>(size));
  for (auto& v : values) v = static_cast<float>(rng.normal());
  at::Tensor x = at::from_blob(values.data(), {size}, at::kFloat).clone();
  auto quantizer = ctx.plugins().make_quantizer(ctx.config().plugin("selftest.quantizer"));
  const QuantTarget target{TensorRole::Weight, true, 0};
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(ctx.seed()));

  auto mse_at = [&](double clip) {
    at::Tensor q = quantizer->quantize(x, at::scalar_tensor(clip, at::kFloat), target, gen);
    return (q - x).pow(2).mean().item<double>();
  };
  const double max_abs = x.abs().max().item<double>();
  const double clip_init = quantizer->calibrate(x, target).max().item<double>();
  Objective objective;
  objective.value = [&](const std::vector<double>& c) { return mse_at(c[0]); };
  Bounds bounds{{1e-3 * max_abs}, {max_abs}};
  TracedMinimum m = minimize_traced(optimizer, objective, {clip_init}, bounds);
  ctx.metric("mse_init", mse_at(clip_init));
  ctx.metric("clip_init", clip_init);
  ctx.metric("clip_star", m.result.x[0]);
  record_minimum(ctx, m, {});
}

void run_selftest(TrialContext& ctx) {
  const ResolvedConfig& cfg = ctx.config();
  PortableRandom rng(static_cast<std::uint64_t>(ctx.seed()));
  auto optimizer = ctx.plugins().make_optimizer(cfg.plugin("selftest.optimizer"));
  const std::string function = cfg.get_string("selftest.function");
  const auto n = static_cast<std::size_t>(cfg.get_int("selftest.dim"));

  if (function == "quant-mse") {
    run_quant_mse(ctx, rng, *optimizer);
  } else {
    Problem p;
    if (function == "quadratic") p = quadratic(n, rng);
    else if (function == "rosenbrock") p = rosenbrock(n, rng);
    else {  // nan
      p.x0.assign(n, 0.0);
      p.objective.value = [](const std::vector<double>&) { return std::numeric_limits<double>::quiet_NaN(); };
    }
    Bounds bounds;
    const auto b = cfg.get_doubles("selftest.bounds");
    if (!b.empty()) {
      bounds.lower.assign(n, b[0]);
      bounds.upper.assign(n, b[1]);
    }
    record_minimum(ctx, minimize_traced(*optimizer, p.objective, p.x0, bounds), p.minimizer);
  }
  const double sleep_s = cfg.get_double("selftest.sleep_s");
  if (sleep_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
}

SchemaNode selftest_schema() {
  SchemaNode s = SchemaNode::map("selftest: minimize a seeded function with an optimizer plugin (no data needed)");
  s.add("function", SchemaNode::one_of({"quadratic", "rosenbrock", "quant-mse", "nan"}, "quadratic",
                                       "what to minimize (nan always fails: for testing failure handling)"));
  s.add("dim", SchemaNode::leaf(ParamType::Int, YAML::Node("4"), "number of variables (quadratic, rosenbrock, nan)")
                   .range(1, 1000));
  SchemaNode bounds = SchemaNode::leaf(ParamType::DoubleList, YAML::Node(YAML::NodeType::Sequence),
                                       "[lower, upper] for every variable; [] = unbounded");
  bounds.check = [](const YAML::Node& v) -> std::string {
    if (v.size() == 0) return "";
    if (v.size() != 2 || !(v[0].as<double>() < v[1].as<double>())) return "expected [] or [lower, upper] with lower < upper";
    return "";
  };
  s.add("bounds", bounds);
  s.add("optimizer", SchemaNode::plugin(PluginKind::Optimizer, "name", "powell", "the optimizer plugin and its options"));
  SchemaNode quantizer = SchemaNode::plugin(PluginKind::Quantizer, "quantizer", "template",
                                            "quant-mse: the quantizer plugin and its options");
  quantizer.common = quantizer_common_params();
  s.add("quantizer", quantizer);
  s.add("size", SchemaNode::leaf(ParamType::Int, YAML::Node("4096"), "quant-mse: elements of the Gaussian tensor").range(1, {}));
  s.add("sleep_s", SchemaNode::leaf(ParamType::Double, YAML::Node("0"),
                                    "seconds to wait at the end of each trial (lets tests interrupt a sweep)").range(0, {}));
  return s;
}

}  // namespace

TaskInfo selftest_task() {
  return {"selftest", "minimize a seeded function with an optimizer plugin; no data needed", {}, selftest_schema,
          run_selftest};
}

}  // namespace qharness
