#pragma once
// How far a surface on a grid is from a sum of one-variable functions: the fraction of its
// variance that the best additive fit f(a) + g(b) leaves unexplained (the residual of a
// two-way ANOVA without interaction): with row means r_i, column means c_j and grand mean m,
// the fit is r_i + c_j - m, and
//
//   nonseparability = sum_ij (L_ij - r_i - c_j + m)^2 / sum_ij (L_ij - m)^2
//
// 0 for a separable surface, up to 1 for a pure interaction (e.g. L = a*b centered). A
// constant surface (up to rounding) has nothing to explain: 0.
#include <cstddef>
#include <vector>

namespace qharness {

// `surface` is rows x cols, row-major.
double nonseparability(const std::vector<double>& surface, std::size_t rows, std::size_t cols);

// The smooth part of that non-additive share: the interaction residual
// L_ij - r_i - c_j + m projected by least squares onto the 9 products p_k(a_i) q_l(b_j), k, l
// in {1, 2, 3}, of centred powers of each axis coordinate (scaled to [-1, 1]), as a fraction of
// the same total variance. A quantized loss carries rounding jumps that no additive fit
// explains either; on a flat surface they make `nonseparability` large although nothing
// couples the two clips. This share counts only interaction that varies smoothly across the
// window (e.g. a*b, a^2*b), so nonseparability - smooth_interaction is the rough rest.
// `axis_a` (rows) and `axis_b` (cols) are the clip values; 0 where nonseparability is 0 or an
// axis has fewer than 2 distinct values.
double smooth_interaction(const std::vector<double>& surface, const std::vector<double>& axis_a,
                          const std::vector<double>& axis_b);

}  // namespace qharness
