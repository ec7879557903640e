#pragma once
// Every dataset `data.dataset` can name, in one table (the way tasks are in tasks/task.cpp):
// what it is, where its files come from, how to check a folder for them before any trial runs,
// its own options block (data.<name>) if it has one, and how to load a split. The schema's
// allowed values, the "missing files" errors and load_data() all read this table, so adding a
// dataset is one entry in dataset_registry.cpp (plus a reader when the format is new) and its
// test (docs/data-models.md, "Add a dataset or a model").
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/resolve.hpp"
#include "config/schema.hpp"
#include "data/dataset.hpp"

namespace qharness {

struct DatasetInfo {
  std::string name;          // the value of data.dataset
  std::string description;   // one line, for the YAML reference
  // Where the files come from, told when they are missing: a Debian package and how to
  // install it, or the distribution's file names. "" for a generated dataset.
  std::string source;
  std::string default_root;  // data.root when it is empty; "" = none (data.root is required)
  bool needs_files = true;   // false: generated, data.root is not read
  ImageShape shape{0, 0, 0};     // of its images; 0 = set by its options or its files
  std::int64_t classes = 0;      // 0 = set by its options or its files
  // What `root` (an existing folder) lacks, "" when it holds every file a split needs.
  std::function<std::string(const std::string& root)> missing_files;
  // Its own block data.<name> (synthetic, imagefolder); empty = none.
  std::function<SchemaNode()> options;
  // One split, read from `root` with the options in cfg's data.<name> block. Throws
  // std::runtime_error naming the file on a missing or bad file.
  std::function<std::shared_ptr<Dataset>(const ResolvedConfig& cfg, const std::string& root, bool train)> load;
};

// Every dataset, in the order of the YAML reference.
const std::vector<DatasetInfo>& all_datasets();
std::vector<std::string> dataset_names();
// std::invalid_argument "unknown dataset 'x'; known: fashion-mnist, ..." for an unknown name.
const DatasetInfo& dataset_info(const std::string& name);

// "" when `root` holds what `dataset` needs, else what is missing and how to get it (the
// dataset's source), starting with "data.root: ".
std::string check_dataset_root(const DatasetInfo& dataset, const std::string& root);

}  // namespace qharness
