#include "models/one_channel_conv.hpp"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "qharness/vector_clones.hpp"

namespace qharness {
namespace {

// Independent partial sums per output position group: ow = b + l goes to lane l. A fixed number,
// so that AVX2 (one register) and the baseline (two) add the same numbers in the same order.
constexpr std::int64_t kLanes = 8;

struct Geometry {
  std::int64_t images, rows_out, cols_out, kernel_rows, kernel_cols;
  std::int64_t padded_rows, padded_cols;   // of one padded image (one_input_channel_weight_gradient)
  std::int64_t cols_in_blocks;             // cols_out rounded up to kLanes
};

// The sums of one output channel over every image.
//   padded: the images, zero-padded, (images, padded_rows, padded_cols)
//   finite: per image, whether all its values are finite
//   grad:   this channel's output gradient of image 0; image n's at grad + n * grad_image_stride
//   weight_lanes (kernel_rows * kernel_cols * kLanes), bias_lanes (kLanes): the totals, zeroed here
//   image_lanes, row: scratch of kernel_rows * kernel_cols * kLanes and cols_in_blocks floats
QHARNESS_VECTOR_CLONES
void channel_sums(const Geometry& s, const float* padded, const char* finite, const float* grad,
                  std::int64_t grad_image_stride, float* weight_lanes, float* bias_lanes, float* image_lanes, float* row) {
  const std::int64_t taps = s.kernel_rows * s.kernel_cols;
  const std::int64_t full_blocks_end = s.cols_out / kLanes * kLanes;
  std::fill(weight_lanes, weight_lanes + taps * kLanes, 0.f);
  std::fill(bias_lanes, bias_lanes + kLanes, 0.f);
  std::fill(row + s.cols_out, row + s.cols_in_blocks, 0.f);
  for (std::int64_t n = 0; n < s.images; ++n) {
    // Each image's sums are added to the totals once: shorter running sums than one per lane
    // over the whole batch.
    std::fill(image_lanes, image_lanes + taps * kLanes, 0.f);
    float image_bias[kLanes] = {};
    const float* image = padded + n * s.padded_rows * s.padded_cols;
    // The last block's lanes past the output's width multiply a zero gradient with image
    // columns outside their sum: exact (adds zero) for finite values, so a finite image takes the
    // whole block unmasked; an image with an inf or NaN masks those lanes (0 * inf is NaN).
    const std::int64_t unmasked_end = finite[n] ? s.cols_in_blocks : full_blocks_end;
    for (std::int64_t oh = 0; oh < s.rows_out; ++oh) {
      std::memcpy(row, grad + n * grad_image_stride + oh * s.cols_out, sizeof(float) * s.cols_out);
      for (std::int64_t b = 0; b < s.cols_in_blocks; b += kLanes)
        for (std::int64_t l = 0; l < kLanes; ++l) image_bias[l] += row[b + l];   // the tail is zero
      for (std::int64_t i = 0; i < s.kernel_rows; ++i) {
        const float* x_row = image + (oh + i) * s.padded_cols;
        for (std::int64_t j = 0; j < s.kernel_cols; ++j) {
          float acc[kLanes];
          float* lanes = image_lanes + (i * s.kernel_cols + j) * kLanes;
          for (std::int64_t l = 0; l < kLanes; ++l) acc[l] = lanes[l];
          for (std::int64_t b = 0; b < unmasked_end; b += kLanes)
            for (std::int64_t l = 0; l < kLanes; ++l) acc[l] += row[b + l] * x_row[b + l + j];
          if (unmasked_end < s.cols_out)
            for (std::int64_t l = 0; l < kLanes; ++l)
              acc[l] += unmasked_end + l < s.cols_out ? row[unmasked_end + l] * x_row[unmasked_end + l + j] : 0.f;
          for (std::int64_t l = 0; l < kLanes; ++l) lanes[l] = acc[l];
        }
      }
    }
    for (std::int64_t k = 0; k < taps * kLanes; ++k) weight_lanes[k] += image_lanes[k];
    for (std::int64_t l = 0; l < kLanes; ++l) bias_lanes[l] += image_bias[l];
  }
}

float lane_sum(const float* lanes) {
  float s = 0.f;
  for (std::int64_t l = 0; l < kLanes; ++l) s += lanes[l];
  return s;
}

// The op: ATen's conv2d forward and input gradient, our weight and bias gradients.
struct OneInputChannelConv2d : public torch::autograd::Function<OneInputChannelConv2d> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, std::int64_t padding) {
    const bool has_bias = bias.numel() > 0;   // else the placeholder of conv2d_one_input_channel()
    ctx->save_for_backward({input, weight});
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["has_bias"] = has_bias;
    return at::conv2d(input, weight, has_bias ? bias : at::Tensor(), {1, 1}, {padding, padding});
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& weight = saved[1];
    const std::int64_t padding = ctx->saved_data["padding"].toInt();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const at::Tensor& grad = grads[0];
    const bool need_input = ctx->needs_input_grad(0), need_weight = ctx->needs_input_grad(1),
               need_bias = has_bias && ctx->needs_input_grad(2);
    const std::vector<std::int64_t> bias_sizes{weight.size(0)};
    auto aten_backward = [&](std::array<bool, 3> mask) {
      return at::convolution_backward(grad, input, weight, has_bias ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt,
                                      {1, 1}, {padding, padding}, {1, 1}, false, {0, 0}, 1, mask);
    };
    if (at::GradMode::is_enabled()) {
      // The backward pass is itself being differentiated: ATen's formula has a derivative, ours not.
      auto [gi, gw, gb] = aten_backward({need_input, need_weight, need_bias});
      return {gi, gw, gb, at::Tensor()};
    }
    at::Tensor grad_input;
    if (need_input) grad_input = std::get<0>(aten_backward({true, false, false}));
    at::Tensor grad_weight, grad_bias;
    if (need_weight || need_bias) {
      grad_weight = at::empty_like(weight, at::MemoryFormat::Contiguous);
      if (has_bias) grad_bias = at::empty({weight.size(0)}, weight.options());
      one_input_channel_weight_gradient(input, grad, padding, grad_weight, grad_bias);
    }
    return {grad_input, need_weight ? grad_weight : at::Tensor(), need_bias ? grad_bias : at::Tensor(), at::Tensor()};
  }
};

}  // namespace

bool one_input_channel_conv_applies(const at::Tensor& input, const at::Tensor& weight, std::int64_t stride,
                                    std::int64_t groups) {
  return stride == 1 && groups == 1 && at::GradMode::is_enabled() && weight.requires_grad() && input.dim() == 4 &&
         input.size(1) == 1 && weight.dim() == 4 && weight.size(1) == 1 && input.device().is_cpu() &&
         input.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat;
}

at::Tensor conv2d_one_input_channel(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                                    std::int64_t padding) {
  // LibTorch 1.13's custom functions take no undefined tensor as an input: a layer without a bias
  // passes an empty placeholder (a real bias has one value per output channel, never none).
  return OneInputChannelConv2d::apply(input, weight, bias.defined() ? bias : at::empty({0}, weight.options()), padding);
}

void one_input_channel_weight_gradient(const at::Tensor& input_any, const at::Tensor& grad_any, std::int64_t padding,
                                       at::Tensor& grad_weight, at::Tensor& grad_bias) {
  // (N, 1, H, W) is laid out the same in channels-last; contiguous() copies only other strides.
  const at::Tensor input = input_any.contiguous();
  const at::Tensor grad = grad_any.contiguous();
  if (input.dim() != 4 || input.size(1) != 1 || grad.dim() != 4 || grad.size(0) != input.size(0) ||
      grad_weight.dim() != 4 || grad_weight.size(1) != 1 || grad_weight.size(0) != grad.size(1) ||
      !grad_weight.is_contiguous() || input.scalar_type() != at::kFloat || grad.scalar_type() != at::kFloat)
    throw std::invalid_argument("one_input_channel_weight_gradient: expects input (N, 1, H, W), grad_output (N, O, OH, OW), "
                                "grad_weight (O, 1, KH, KW), float32");
  Geometry s{};
  s.images = input.size(0);
  const std::int64_t rows_in = input.size(2), cols_in = input.size(3), channels_out = grad.size(1);
  s.kernel_rows = grad_weight.size(2);
  s.kernel_cols = grad_weight.size(3);
  s.rows_out = grad.size(2);
  s.cols_out = grad.size(3);
  if (s.rows_out != rows_in + 2 * padding - s.kernel_rows + 1 || s.cols_out != cols_in + 2 * padding - s.kernel_cols + 1)
    throw std::invalid_argument("one_input_channel_weight_gradient: grad_output's size does not match a stride-1 convolution");
  s.cols_in_blocks = (s.cols_out + kLanes - 1) / kLanes * kLanes;
  s.padded_rows = rows_in + 2 * padding;
  s.padded_cols = s.cols_in_blocks + s.kernel_cols - 1;   // >= cols_in + 2 * padding

  // The images with their zero border, and zeros to the right up to the last block's reach.
  std::vector<float> padded(static_cast<std::size_t>(s.images * s.padded_rows * s.padded_cols), 0.f);
  std::vector<char> finite(static_cast<std::size_t>(s.images));
  const float* x = input.data_ptr<float>();
  at::parallel_for(0, s.images, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      const float* image = x + n * rows_in * cols_in;
      finite[n] = std::all_of(image, image + rows_in * cols_in, [](float v) { return std::isfinite(v); });
      for (std::int64_t h = 0; h < rows_in; ++h)
        std::memcpy(&padded[static_cast<std::size_t>((n * s.padded_rows + h + padding) * s.padded_cols + padding)],
                    image + h * cols_in, sizeof(float) * cols_in);
    }
  });

  const float* g = grad.data_ptr<float>();
  float* gw = grad_weight.data_ptr<float>();
  float* gb = grad_bias.defined() ? grad_bias.data_ptr<float>() : nullptr;
  const std::int64_t taps = s.kernel_rows * s.kernel_cols, plane = s.rows_out * s.cols_out;
  // One output channel is one thread's work, start to end: the sums do not depend on the count.
  at::parallel_for(0, channels_out, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> weight_lanes(taps * kLanes), image_lanes(taps * kLanes), row(s.cols_in_blocks);
    float bias_lanes[kLanes];
    for (std::int64_t o = begin; o < end; ++o) {
      channel_sums(s, padded.data(), finite.data(), g + o * plane, channels_out * plane, weight_lanes.data(), bias_lanes,
                   image_lanes.data(), row.data());
      for (std::int64_t k = 0; k < taps; ++k) gw[o * taps + k] = lane_sum(&weight_lanes[k * kLanes]);
      if (gb) gb[o] = lane_sum(bias_lanes);
    }
  });
}

}  // namespace qharness
