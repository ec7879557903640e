#include "tasks/task.hpp"

#include <stdexcept>

#include "tasks/evaluate_task.hpp"
#include "tasks/hessian_task.hpp"
#include "tasks/landscape_task.hpp"
#include "tasks/masks_task.hpp"
#include "tasks/ptq_task.hpp"
#include "tasks/quant_train_task.hpp"
#include "tasks/selftest_task.hpp"
#include "tasks/sparse_train_task.hpp"
#include "tasks/train_task.hpp"
#include "util/named_table.hpp"

namespace qharness {
namespace {

template <class Named>
void refuse_duplicate(const std::vector<std::pair<std::string, Named>>& items, const std::string& name,
                      const char* group) {
  for (const auto& kv : items)
    if (kv.first == name) throw std::logic_error(std::string("task recorded ") + group + " '" + name + "' twice");
}

}  // namespace

void TrialContext::metric(const std::string& name, double value) {
  refuse_duplicate(record_.metrics, name, "metric");
  record_.metrics.emplace_back(name, value);
}

void TrialContext::series(const std::string& name, std::vector<double> values) {
  refuse_duplicate(record_.series, name, "series");
  record_.series.emplace_back(name, std::move(values));
}

void TrialContext::array(const std::string& name, NdArray array) {
  refuse_duplicate(record_.arrays, name, "array");
  record_.arrays.emplace_back(name, std::move(array));
}

const std::vector<TaskInfo>& all_tasks() {
  static const std::vector<TaskInfo> tasks = {selftest_task(), train_task(), evaluate_task(), ptq_task(), quant_train_task(),
                                                hessian_task(), landscape_task(), masks_task(), sparse_train_task()};
  return tasks;
}

const TaskInfo* find_task(const std::string& name) { return find_named(all_tasks(), name); }

}  // namespace qharness
