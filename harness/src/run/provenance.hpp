#pragma once
#include "results/trial_record.hpp"
#include "run/experiment.hpp"

namespace qharness {
// Versions of qharness, torch and HDF5, the git commit of the qharness sources (and whether
// they had uncommitted changes), the experiment file as given and the overrides.
Provenance make_provenance(const Experiment& experiment);
}  // namespace qharness
