// The uniform quantizer's fast fake-quant kernel against the composed (differentiable) path:
// bit-exact agreement, and the composed path's straight-through gradients, first and second
// order (plugins/quantizers/uniform/fake_quant.hpp).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "plugins/quantizers/uniform/fake_quant.hpp"
#include "plugins/quantizers/uniform/uniform_grid.hpp"

namespace qharness::plugins::uniform {
namespace {

// Bitwise equality of two float32 tensors (sign of zero and NaN payloads included).
::testing::AssertionResult same_bits(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return ::testing::AssertionFailure() << "shapes differ";
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  const float* pa = ca.data_ptr<float>();
  const float* pb = cb.data_ptr<float>();
  for (std::int64_t i = 0; i < ca.numel(); ++i)
    if (std::memcmp(pa + i, pb + i, sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "element " << i << ": " << pa[i] << " vs " << pb[i];
  return ::testing::AssertionSuccess();
}

// Random data with values beyond the clip, exact ties of the grid (k + 1/2 steps), zeros of
// both signs.
at::Tensor test_data(std::vector<std::int64_t> shape, std::uint64_t seed, double step) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor x = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)) * 1.5;
  at::Tensor flat = x.view({-1});
  const std::int64_t n = flat.numel();
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, 40); ++i)
    flat[i] = static_cast<float>((i - 20 + 0.5) * step);
  if (n > 42) {
    flat[40] = 0.0f;
    flat[41] = -0.0f;
  }
  return x;
}

struct Case {
  Grid grid;
  std::int64_t bits;
  bool is_signed;
};

void check_agreement(const at::Tensor& x, const at::Tensor& clip, std::int64_t axis, const Case& c,
                     bool stochastic) {
  const GridParameters g = grid_parameters(c.grid, c.bits, c.is_signed, clip, axis);
  at::Tensor noise;
  if (stochastic) {
    at::Generator gen = at::detail::createCPUGenerator(7);
    noise = at::empty_like(x).uniform_(0.0, 1.0, gen);
  }
  at::NoGradGuard no_grad;
  const at::Tensor fast = fake_quant_kernel(x, g.scale, g.offset, g.spec, noise);
  const at::Tensor composed = fake_quant_composed(x, g.scale, g.offset, g.spec, noise);
  EXPECT_TRUE(same_bits(fast, composed))
      << "grid " << static_cast<int>(c.grid) << " bits " << c.bits << " signed " << c.is_signed
      << " stochastic " << stochastic << " axis " << axis << " clip numel " << clip.numel();
}

TEST(FakeQuantKernel, BitExactWithTheComposedPathPerTensor) {
  for (const Case c : {Case{Grid::Integer, 4, true}, Case{Grid::Integer, 2, true},
                       Case{Grid::Integer, 8, false}, Case{Grid::Reference, 3, true},
                       Case{Grid::Reference, 4, false}, Case{Grid::Integer, 24, true},
                       Case{Grid::Reference, 30, true}}) {
    const at::Tensor x = test_data({3, 70001}, 11 + c.bits, 0.25);
    for (bool stochastic : {false, true})
      check_agreement(x, at::scalar_tensor(2.0, at::kFloat), 0, c, stochastic);
  }
}

TEST(FakeQuantKernel, BitExactWithTheComposedPathPerChannel) {
  for (const Case c : {Case{Grid::Integer, 4, true}, Case{Grid::Reference, 2, true},
                       Case{Grid::Integer, 3, false}}) {
    // Long runs per channel (weights [out, in, kh, kw], axis 0), short runs (activations
    // [N, C] along axis 1, and [N, C, H, W] with small H*W), and a middle axis.
    struct Layout { std::vector<std::int64_t> shape; std::int64_t axis; };
    for (const Layout& l : {Layout{{16, 8, 3, 3}, 0}, Layout{{300, 37}, 1},
                            Layout{{9, 12, 4, 4}, 1}, Layout{{5, 6, 70000}, 1}}) {
      const at::Tensor x = test_data(l.shape, 3, 0.1);
      const at::Tensor clip = at::linspace(0.5, 3.0, x.size(l.axis), at::kFloat);
      for (bool stochastic : {false, true}) check_agreement(x, clip, l.axis, c, stochastic);
    }
  }
}

TEST(FakeQuantKernel, LargeTensorsUseNonTemporalStoresAndStillAgree) {
  // >= 4 Mi elements take the kernel's explicit SSE2 path with streaming stores (nearest
  // rounding); the odd length leaves an unaligned tail.
  const at::Tensor x = test_data({65537, 65}, 21, 0.2);
  for (const Case c : {Case{Grid::Integer, 4, true}, Case{Grid::Reference, 3, true}}) {
    check_agreement(x, at::scalar_tensor(2.5, at::kFloat), 0, c, false);
    check_agreement(x, at::linspace(0.5, 3.0, 65, at::kFloat), 1, c, false);      // periodic
    check_agreement(x, at::linspace(0.5, 3.0, 65537, at::kFloat), 0, c, false);   // short runs
  }
  check_agreement(x.view({65, 65537}), at::linspace(0.5, 3.0, 65, at::kFloat), 0,
                  {Grid::Integer, 4, true}, false);  // long runs
}

TEST(FakeQuantKernel, NonContiguousInputAndDoubleClip) {
  const at::Tensor x = test_data({64, 50}, 5, 0.3).t();  // [50, 64], not contiguous
  const at::Tensor clip = at::linspace(1.0, 2.0, 64, at::kDouble);
  check_agreement(x, clip, 1, {Grid::Integer, 4, true}, false);
  check_agreement(x, at::scalar_tensor(1.7, at::kDouble), 0, {Grid::Reference, 4, true}, false);
}

// Channels-last tensors (models/memory_format.hpp): the same bits as the composed path, and
// the output keeps the input's memory order where the scales allow it (per tensor; per output
// channel of a weight), so an NHWC network is not copied back to NCHW at every quantizer.
TEST(FakeQuantKernel, ChannelsLastKeepsItsLayoutAndItsBits) {
  const Case c{Grid::Integer, 4, true};
  const at::Tensor act = test_data({8, 16, 7, 7}, 13, 0.2).contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor weight = test_data({32, 16, 3, 3}, 17, 0.1).contiguous(at::MemoryFormat::ChannelsLast);
  for (bool stochastic : {false, true}) {
    check_agreement(act, at::scalar_tensor(2.0, at::kFloat), 0, c, stochastic);
    check_agreement(weight, at::linspace(0.5, 3.0, 32, at::kFloat), 0, c, stochastic);
    check_agreement(act, at::linspace(0.5, 3.0, 16, at::kFloat), 1, c, stochastic);   // per channel: NCHW copy
  }
  const GridParameters per_tensor = grid_parameters(Grid::Integer, 4, true, at::scalar_tensor(2.0), 0);
  EXPECT_TRUE(fake_quant_kernel(act, per_tensor.scale, per_tensor.offset, per_tensor.spec, at::Tensor())
                  .is_contiguous(at::MemoryFormat::ChannelsLast));
  const GridParameters per_out = grid_parameters(Grid::Integer, 4, true, at::linspace(0.5, 3.0, 32, at::kFloat), 0);
  EXPECT_TRUE(fake_quant_kernel(weight, per_out.scale, per_out.offset, per_out.spec, at::Tensor())
                  .is_contiguous(at::MemoryFormat::ChannelsLast));
  const GridParameters per_channel = grid_parameters(Grid::Integer, 4, true, at::linspace(0.5, 3.0, 16, at::kFloat), 1);
  EXPECT_TRUE(fake_quant_kernel(act, per_channel.scale, per_channel.offset, per_channel.spec, at::Tensor())
                  .is_contiguous());
}

TEST(FakeQuantKernel, ValuesAreOnTheGrid) {
  // 3-bit signed integer grid with clip 3: levels k * 3/3 = k for k in [-3, 3].
  const at::Tensor x = at::tensor({-7.0f, -2.6f, -0.5f, 0.49f, 0.5f, 1.5f, 2.5f, 9.0f});
  const GridParameters g = grid_parameters(Grid::Integer, 3, true, at::scalar_tensor(3.0), 0);
  const at::Tensor q = fake_quant_kernel(x, g.scale, g.offset, g.spec, at::Tensor());
  // Round half to even: -0.5 -> -0 (+0 here), 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
  const std::vector<float> expected = {-3, -3, 0, 0, 0, 2, 2, 3};
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(q[static_cast<std::int64_t>(i)].item<float>(), expected[i]) << i;
}

TEST(FakeQuantComposed, StraightThroughGradientInX) {
  const at::Tensor x = at::tensor({-5.0f, -0.3f, 0.2f, 0.9f, 4.0f}).requires_grad_(true);
  const GridParameters g = grid_parameters(Grid::Integer, 4, true, at::scalar_tensor(1.0f), 0);
  const at::Tensor q = fake_quant_composed(x, g.scale, g.offset, g.spec, at::Tensor());
  q.sum().backward();
  // 1 inside the clipping range [-1, 1], 0 outside.
  const std::vector<float> expected = {0, 1, 1, 1, 0};
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(x.grad()[static_cast<std::int64_t>(i)].item<float>(), expected[i]) << i;
}

// Training's path: the kernel forward (same bits as composed) with the straight-through
// gradient to x (composed's, up to its (g * s) / s rounding), per tensor and per channel, with
// and without an offset (unsigned reference grid), nearest and stochastic rounding.
TEST(FakeQuantSte, SameValuesAndGradientAsTheComposedPath) {
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor upstream = at::randn({6, 5, 3, 3}, gen, at::TensorOptions().dtype(at::kFloat));
  for (const Case& c : {Case{Grid::Integer, 4, true}, Case{Grid::Reference, 3, false}, Case{Grid::Integer, 2, true}})
    for (bool per_channel : {false, true})
      for (bool stochastic : {false, true}) {
        const at::Tensor x0 = test_data({6, 5, 3, 3}, 11, 0.25);
        const at::Tensor clip = per_channel ? at::linspace(0.5, 2.0, 5) : at::scalar_tensor(1.3f);
        const GridParameters g = grid_parameters(c.grid, c.bits, c.is_signed, clip, 1);
        at::Tensor noise;
        if (stochastic) noise = at::empty_like(x0).uniform_(0.0, 1.0, gen);
        const at::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
        const at::Tensor qa = fake_quant_ste(xa, g.scale, g.offset, g.spec, noise);
        const at::Tensor qb = fake_quant_composed(xb, g.scale, g.offset, g.spec, noise);
        EXPECT_TRUE(qa.requires_grad());
        EXPECT_TRUE(same_bits(qa.detach(), qb.detach())) << per_channel << stochastic;
        (qa * upstream).sum().backward();
        (qb * upstream).sum().backward();
        EXPECT_TRUE(at::allclose(xa.grad(), xb.grad(), 1e-6, 0)) << per_channel << stochastic;
        // The mask really cuts: some entries pass, some are clipped to zero gradient.
        const auto passed = xa.grad().ne(0).sum().item<std::int64_t>();
        EXPECT_GT(passed, 0);
        EXPECT_LT(passed, x0.numel());
      }
}

TEST(FakeQuantComposed, GradientAndHessianInTheClip) {
  // Integer grid, 3 bits signed: s = a / 3. Inside: q = x + (r - y) s (r - y detached), so
  // dq/da = (r - y) / 3; clamped at +-3: q = +-3 s, dq/da = +-1. For L = sum q^2:
  // dL/da = sum 2 q dq/da, d2L/da2 = sum 2 (dq/da)^2 (second derivatives of q vanish).
  const at::Tensor x = at::tensor({-2.0, -0.4, 0.1, 0.55, 0.9, 1.7}, at::kDouble);
  const at::Tensor a = at::scalar_tensor(1.2, at::kDouble).requires_grad_(true);
  const GridParameters g = grid_parameters(Grid::Integer, 3, true, a, 0);
  const at::Tensor q = fake_quant_composed(x, g.scale, g.offset, g.spec, at::Tensor());
  const at::Tensor loss = (q * q).sum();
  const at::Tensor grad = torch::autograd::grad({loss}, {a}, {}, true, true)[0];
  const at::Tensor hess = torch::autograd::grad({grad}, {a})[0];

  double expected_grad = 0.0, expected_hess = 0.0;
  const double s = 1.2 / 3.0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double xi = x[i].item<double>();
    const double y = std::clamp(xi / s, -3.0, 3.0);
    const double r = std::nearbyint(y);
    const double qi = r * s;
    const double dq = (std::abs(xi / s) >= 3.0) ? (y > 0 ? 1.0 : -1.0) : (r - y) / 3.0;
    expected_grad += 2.0 * qi * dq;
    expected_hess += 2.0 * dq * dq;
  }
  EXPECT_NEAR(grad.item<double>(), expected_grad, 1e-12);
  EXPECT_NEAR(hess.item<double>(), expected_hess, 1e-12);
}

TEST(FakeQuantKernel, RejectsBadInput) {
  const GridParameters g = grid_parameters(Grid::Integer, 4, true, at::ones({3}), 1);
  EXPECT_THROW(fake_quant_kernel(at::ones({2, 4}), g.scale, g.offset, g.spec, at::Tensor()),
               std::invalid_argument);  // 3 scales for 4 channels
  const GridParameters t = grid_parameters(Grid::Integer, 4, true, at::scalar_tensor(1.0), 0);
  EXPECT_THROW(fake_quant_kernel(at::ones({4}, at::kDouble), t.scale, t.offset, t.spec, at::Tensor()),
               std::invalid_argument);  // float32 only
  EXPECT_THROW(grid_parameters(Grid::Integer, 1, true, at::scalar_tensor(1.0), 0), std::invalid_argument);
}

}  // namespace
}  // namespace qharness::plugins::uniform
