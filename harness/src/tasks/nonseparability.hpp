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

}  // namespace qharness
