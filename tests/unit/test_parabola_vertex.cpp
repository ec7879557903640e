// LAPQ's p* rule: the vertex of the least-squares parabola through loss(p), clamped to the
// grid; the best grid point when the fit is not convex.
#include <gtest/gtest.h>

#include <cmath>

#include "tasks/parabola_vertex.hpp"

namespace qharness {
namespace {

std::vector<double> loss_of(const std::vector<double>& p, double a, double b, double c) {
  std::vector<double> l;
  for (double x : p) l.push_back(a * x * x + b * x + c);
  return l;
}

TEST(ParabolaVertex, ConvexFitRecoversTheVertexInsideTheGrid) {
  const auto p = linspace(2.0, 4.0, 10);
  // (p - 2.7)^2 + 0.5 = p^2 - 5.4 p + 7.79
  const auto l = loss_of(p, 1.0, -5.4, 7.79);
  const ParabolaFit f = fit_parabola(p, l);
  EXPECT_NEAR(f.a, 1.0, 1e-9);
  EXPECT_NEAR(f.b, -5.4, 1e-9);
  EXPECT_NEAR(f.c, 7.79, 1e-9);
  EXPECT_TRUE(f.convex);
  EXPECT_NEAR(parabola_vertex_p(p, l), 2.7, 1e-9);
}

TEST(ParabolaVertex, NoisyConvexDataGivesTheLeastSquaresVertex) {
  const std::vector<double> p = {2, 3, 4, 5};
  const std::vector<double> l = {4.1, 0.9, 1.1, 3.9};   // no parabola passes through all four
  // numpy.polyfit(p, l, 2): a = 1.5, b = -10.54, c = 19.14; vertex 10.54 / 3.
  const ParabolaFit f = fit_parabola(p, l);
  EXPECT_NEAR(f.a, 1.5, 1e-9);
  EXPECT_NEAR(f.b, -10.54, 1e-9);
  EXPECT_NEAR(f.c, 19.14, 1e-9);
  EXPECT_NEAR(parabola_vertex_p(p, l), 10.54 / 3.0, 1e-9);
}

TEST(ParabolaVertex, VertexOutsideTheGridIsClampedToItsEnd) {
  const auto p = linspace(2.0, 4.0, 5);
  EXPECT_DOUBLE_EQ(parabola_vertex_p(p, loss_of(p, 1.0, -12.0, 0.0)), 4.0);   // vertex at 6
  EXPECT_DOUBLE_EQ(parabola_vertex_p(p, loss_of(p, 1.0, -2.0, 0.0)), 2.0);    // vertex at 1
}

TEST(ParabolaVertex, ConcaveFitTakesTheBestGridPoint) {
  const auto p = linspace(2.0, 4.0, 5);          // 2, 2.5, 3, 3.5, 4
  const auto l = loss_of(p, -1.0, 6.2, 0.0);     // maximum at 3.1: lowest loss at p = 2
  EXPECT_FALSE(fit_parabola(p, l).convex);
  EXPECT_DOUBLE_EQ(parabola_vertex_p(p, l), 2.0);
  // A straight line (a = 0) is not convex either: the best end.
  EXPECT_DOUBLE_EQ(parabola_vertex_p(p, loss_of(p, 0.0, -1.0, 10.0)), 4.0);
}

TEST(ParabolaVertex, FewerThanThreePointsTakeTheBestAndBadInputThrows) {
  EXPECT_DOUBLE_EQ(parabola_vertex_p({2.0, 3.0}, {1.0, 0.5}), 3.0);
  EXPECT_THROW(parabola_vertex_p({2.0, 3.0}, {1.0}), std::invalid_argument);
  EXPECT_THROW(parabola_vertex_p({}, {}), std::invalid_argument);
  EXPECT_THROW(linspace(2.0, 4.0, 0), std::invalid_argument);
  EXPECT_EQ(linspace(2.0, 4.0, 3), (std::vector<double>{2.0, 3.0, 4.0}));
}

}  // namespace
}  // namespace qharness
