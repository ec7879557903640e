#pragma once
// Calibration methods by the names the YAML uses (ptq.method: minmax | mse | lp | aciq).
#include <string>

#include "qharness/quantizer.hpp"

namespace qharness {

// "minmax", "mse", "lp" (with p), "aciq"; throws std::invalid_argument naming the choices.
CalibrationMethod calibration_method(const std::string& name, double p = 2.0);
// The YAML name of a method: "minmax", "mse", "lp", "aciq".
const char* to_string(CalibrationMethod::Kind kind);

}  // namespace qharness
