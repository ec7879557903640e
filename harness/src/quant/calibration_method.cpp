#include "quant/calibration_method.hpp"

#include <stdexcept>

namespace qharness {

CalibrationMethod calibration_method(const std::string& name, double p) {
  using Kind = CalibrationMethod::Kind;
  for (Kind k : {Kind::MinMax, Kind::Mse, Kind::Lp, Kind::Aciq})
    if (name == to_string(k)) return {k, k == Kind::Mse ? 2.0 : p};
  throw std::invalid_argument("unknown calibration method '" + name + "' (minmax, mse, lp, aciq)");
}

const char* to_string(CalibrationMethod::Kind kind) {
  switch (kind) {
    case CalibrationMethod::Kind::MinMax: return "minmax";
    case CalibrationMethod::Kind::Mse: return "mse";
    case CalibrationMethod::Kind::Lp: return "lp";
    case CalibrationMethod::Kind::Aciq: return "aciq";
  }
  return "?";
}

}  // namespace qharness
