// The HDF5 results store. File layout (a contract: users read it with h5py):
//
//   /  attributes qharness_version, git_commit, git_dirty (int8 0/1), torch_version,
//      hdf5_version, created, experiment_file, experiment_yaml, overrides (strings),
//      sweep_trial_ids (1-D array of strings, possibly empty)
//   /trials/<id>/  attributes config, swept (a YAML flow map), index (int64), seed (int64),
//                  status ("done" | "failed"), error, started, finished, wall_s (float64),
//                  threads (int64: torch's thread count; absent in files written before it),
//                  checksum (int64: the CRC-32 of trial_checksum.hpp; absent in files
//                  written before it existed)
//       metrics/<name>  scalar float64; the group attribute `order` keeps insertion order
//       series/<name>   1-D float64 (possibly empty)
//       arrays/<name>   n-D float64 | int64 | uint8, attribute `layer_names` when labelled
//   /summary  (experiment and shard files) 1-D compound table, one row per trial in index
//             order: trial_id, index, status, seed, <swept keys>, <metrics>, wall_s, error
//
// Strings are variable-length UTF-8, except in /summary whose text fields are fixed-length
// (null-padded) so that numpy and pandas read the table as a plain structured array.
// Groups track link creation order, so h5py lists trials, series and arrays in the order
// they were written.
#include "results/h5_store.hpp"

#include "config/raw_config.hpp"
#include "config/yaml_text.hpp"
#include "results/atomic_file.hpp"
#include "results/trial_checksum.hpp"

#include <H5Cpp.h>
#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace qharness::h5 {
namespace {

// ---------------------------------------------------------------------------------------
// Errors

// A failure whose message is only the cause; `guarded` prefixes the operation and the file.
struct Cause : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The C++ API's exceptions only say which C call failed ("H5Fopen failed"); the reason
// ("file signature not found", errno texts) lives on HDF5's error stack, which is cleared by
// the next API call, i.e. by the destructors that run before any catch block. So the stack
// is summarized at the moment of failure, by HDF5's automatic error handler.
std::string& last_hdf5_cause() {
  static thread_local std::string cause;
  return cause;
}

herr_t collect_error_description(unsigned, const H5E_error2_t* err, void* out) {
  auto* descriptions = static_cast<std::vector<std::string>*>(out);
  try {
    std::string text = err->desc ? err->desc : "";
    std::replace(text.begin(), text.end(), '\n', ' ');
    descriptions->push_back(std::move(text));
  } catch (...) {
    return -1;  // no exception may cross the C library
  }
  return 0;
}

// The outermost description says what the failed call could not do, the innermost why.
herr_t remember_hdf5_cause(hid_t stack, void*) {
  std::vector<std::string> descriptions;
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, collect_error_description, &descriptions);
  std::string cause;
  if (!descriptions.empty()) {
    cause = descriptions.front();
    if (descriptions.size() > 1) cause += " (" + descriptions.back() + ")";
  }
  try {
    last_hdf5_cause() = std::move(cause);
  } catch (...) {
  }
  return 0;
}

// Replaces HDF5's default handler, which prints the stack to stderr: this one is silent
// (what H5::Exception::dontPrint() would do) and keeps the cause for our messages.
void install_hdf5_error_handler() {
  static const bool installed = [] {
    H5Eset_auto2(H5E_DEFAULT, remember_hdf5_cause, nullptr);
    return true;
  }();
  (void)installed;
}

// Runs `body`, turning HDF5 exceptions and bare causes into a std::runtime_error that names
// the operation and the file. Other exceptions (std::invalid_argument, already-formatted
// std::runtime_error from a nested operation) pass through unchanged.
template <class Body>
auto guarded(const std::string& operation, const std::string& path, Body&& body)
    -> decltype(body()) {
  install_hdf5_error_handler();
  const auto fail = [&](const std::string& cause) {
    return std::runtime_error("qharness::h5: cannot " + operation + " '" + path + "': " +
                              cause);
  };
  try {
    last_hdf5_cause().clear();
    return body();
  } catch (const Cause& e) {
    throw fail(e.what());
  } catch (const H5::Exception& e) {
    const std::string& cause = last_hdf5_cause();
    throw fail(cause.empty() ? e.getFuncName() + ": " + e.getDetailMsg() : cause);
  }
}

// Raises the failure of a C API call the way the C++ API does, so that `guarded` reports it.
template <class Result>
Result check(Result result, const char* function) {
  if (result < 0) throw H5::Exception(function, "failed");
  return result;
}

// Owns an identifier returned by the C API.
class CHandle {
 public:
  CHandle(hid_t id, herr_t (*close)(hid_t), const char* function)
      : id_(check(id, function)), close_(close) {}
  ~CHandle() { close_(id_); }
  CHandle(const CHandle&) = delete;
  CHandle& operator=(const CHandle&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// ---------------------------------------------------------------------------------------
// Input validation (std::invalid_argument, before anything is written)

// A link name must be one path component: '/' would silently create nested groups.
void require_link_name(const std::string& name, const std::string& what) {
  if (name.empty() || name == "." || name.find('/') != std::string::npos)
    throw std::invalid_argument("qharness::h5: " + what + " '" + name +
                                "' is not a valid HDF5 name (empty, '.' or contains '/')");
}

template <class Value>
void require_unique_names(const std::vector<std::pair<std::string, Value>>& entries,
                          const std::string& what) {
  std::set<std::string> seen;
  for (const auto& [name, value] : entries) {
    require_link_name(name, what);
    if (!seen.insert(name).second)
      throw std::invalid_argument("qharness::h5: " + what + " '" + name + "' appears twice");
  }
}

// A string-array attribute stores 16 bytes per string in the object header, whose messages
// are limited to 64 KiB; a larger one goes to dense attribute storage, which H5Ocopy cannot
// copy with HDF5 < 1.14.4 (see kMaxCompactAttributes). Refused when written, rather than
// crashing the merge.
constexpr std::size_t kMaxNamesPerAttribute = 4000;

void require_compact_name_list(std::size_t count, const std::string& what) {
  if (count > kMaxNamesPerAttribute)
    throw std::invalid_argument("qharness::h5: " + what + ": " + std::to_string(count) +
                                " names, more than the " +
                                std::to_string(kMaxNamesPerAttribute) + " an attribute holds");
}

std::size_t element_count(const NdArray& array) {
  return std::visit([](const auto& values) { return values.size(); }, array.data);
}

void require_consistent_array(const std::string& name, const NdArray& array) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("qharness::h5: array '" + name + "': " + why);
  };
  if (array.shape.size() > H5S_MAX_RANK) throw bad("more than 32 dimensions");
  std::uint64_t expected = 1;
  for (std::uint64_t extent : array.shape) {
    if (extent != 0 && expected > std::numeric_limits<std::uint64_t>::max() / extent)
      throw bad("shape overflows");
    expected *= extent;
  }
  if (expected != element_count(array))
    throw bad("shape holds " + std::to_string(expected) + " elements, data has " +
              std::to_string(element_count(array)));
  if (!array.layer_names.empty() &&
      (array.shape.empty() || array.layer_names.size() != array.shape[0]))
    throw bad(std::to_string(array.layer_names.size()) +
              " layer names do not label the rows (first axis)");
  require_compact_name_list(array.layer_names.size(), "array '" + name + "' layer_names");
}

void require_valid_trial(const TrialRecord& trial) {
  require_link_name(trial.id, "trial id");
  if (trial.status != "done" && trial.status != "failed")
    throw std::invalid_argument("qharness::h5: trial '" + trial.id + "' has status '" +
                                trial.status + "', expected 'done' or 'failed'");
  require_unique_names(trial.metrics, "metric");
  require_compact_name_list(trial.metrics.size(), "trial '" + trial.id + "' metrics");
  require_unique_names(trial.series, "series");
  require_unique_names(trial.arrays, "array");
  for (const auto& [name, array] : trial.arrays) require_consistent_array(name, array);
}

void require_unique_ids(const std::vector<TrialInfo>& trials) {
  std::set<std::string> seen;
  for (const TrialInfo& trial : trials) {
    require_link_name(trial.id, "trial id");
    if (!seen.insert(trial.id).second)
      throw std::invalid_argument("qharness::h5: trial '" + trial.id +
                                  "' is listed twice for consolidation (from '" + trial.file +
                                  "')");
  }
}

// ---------------------------------------------------------------------------------------
// Types

H5::StrType variable_string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(cset);
  return type;
}

// File types are explicit little-endian, memory types native (HDF5 converts if they differ).
template <class T>
struct Hdf5Type;
template <>
struct Hdf5Type<double> {
  static const H5::PredType& file() { return H5::PredType::IEEE_F64LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_DOUBLE; }
};
template <>
struct Hdf5Type<std::int64_t> {
  static const H5::PredType& file() { return H5::PredType::STD_I64LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT64; }
};
template <>
struct Hdf5Type<std::int8_t> {
  static const H5::PredType& file() { return H5::PredType::STD_I8LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_INT8; }
};
template <>
struct Hdf5Type<std::uint8_t> {
  static const H5::PredType& file() { return H5::PredType::STD_U8LE; }
  static const H5::PredType& memory() { return H5::PredType::NATIVE_UINT8; }
};

// ---------------------------------------------------------------------------------------
// Groups

// Attributes stay in the object header (compact storage) up to this many per object. The
// default, 8, would move a trial group's 9 attributes into dense storage, and H5Ocopy of
// variable-length attributes in dense storage dereferences a null pointer in HDF5 < 1.14.4
// (HDFGroup/hdf5 issues #2414 and #3214, fixed by pull request #3967).
constexpr unsigned kMaxCompactAttributes = 64;

// Every group tracks link creation order so that readers (h5py included) list its members
// in the order they were written rather than alphabetically.
H5::Group create_group(const H5::Group& parent, const std::string& name) {
  CHandle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate");
  check(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "H5Pset_link_creation_order");
  check(H5Pset_attr_phase_change(gcpl.get(), kMaxCompactAttributes, kMaxCompactAttributes - 1),
        "H5Pset_attr_phase_change");
  CHandle group(H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                H5Gclose, "H5Gcreate2");
  return H5::Group(group.get());  // the wrapper takes its own reference
}

std::string object_name(const H5::H5Object& object) { return object.getObjName(); }

std::string child_path(const H5::Group& parent, const std::string& name) {
  std::string path = object_name(parent);
  if (path.empty() || path.back() != '/') path += '/';
  return path + name;
}

bool has_child(const H5::Group& parent, const std::string& name, H5O_type_t type) {
  return parent.nameExists(name) && parent.childObjType(name) == type;
}

H5::Group open_group(const H5::Group& parent, const std::string& name) {
  if (!has_child(parent, name, H5O_TYPE_GROUP))
    throw Cause("no group " + child_path(parent, name));
  return parent.openGroup(name);
}

H5::DataSet open_dataset(const H5::Group& parent, const std::string& name) {
  if (!has_child(parent, name, H5O_TYPE_DATASET))
    throw Cause("no dataset " + child_path(parent, name));
  return parent.openDataSet(name);
}

herr_t collect_link_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  try {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  } catch (...) {
    return -1;  // no exception may cross the C library
  }
  return 0;
}

// Member names in creation order where the group records it (ours do), else by name.
std::vector<std::string> child_names(const H5::Group& group) {
  H5_index_t index = H5_INDEX_NAME;
  {
    CHandle gcpl(H5Gget_create_plist(group.getId()), H5Pclose, "H5Gget_create_plist");
    unsigned flags = 0;
    check(H5Pget_link_creation_order(gcpl.get(), &flags), "H5Pget_link_creation_order");
    if (flags & H5P_CRT_ORDER_INDEXED) index = H5_INDEX_CRT_ORDER;
  }
  std::vector<std::string> names;
  hsize_t position = 0;
  check(H5Literate(group.getId(), index, H5_ITER_INC, &position, collect_link_name, &names),
        "H5Literate");
  return names;
}

// ---------------------------------------------------------------------------------------
// Attributes: writing

void write_string_attribute(const H5::H5Object& object, const std::string& name,
                            const std::string& value) {
  const H5::StrType type = variable_string_type();
  H5::Attribute attribute = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  const char* text = value.c_str();
  attribute.write(type, &text);
}

void write_string_array_attribute(const H5::H5Object& object, const std::string& name,
                                  const std::vector<std::string>& values) {
  const H5::StrType type = variable_string_type();
  const hsize_t count = values.size();
  H5::Attribute attribute = object.createAttribute(name, type, H5::DataSpace(1, &count));
  if (values.empty()) return;  // HDF5 refuses a null buffer even for zero elements
  std::vector<const char*> texts;
  texts.reserve(values.size());
  for (const std::string& value : values) texts.push_back(value.c_str());
  attribute.write(type, texts.data());
}

template <class T>
void write_number_attribute(const H5::H5Object& object, const std::string& name, T value) {
  H5::Attribute attribute =
      object.createAttribute(name, Hdf5Type<T>::file(), H5::DataSpace(H5S_SCALAR));
  attribute.write(Hdf5Type<T>::memory(), &value);
}

// ---------------------------------------------------------------------------------------
// Attributes: reading (tolerant of what h5py writes: fixed-length or ASCII strings too)

H5::Attribute open_attribute(const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name))
    throw Cause(object_name(object) + " has no attribute '" + name + "'");
  return object.openAttribute(name);
}

std::string attribute_label(const H5::Attribute& attribute) {
  return "attribute '" + attribute.getName() + "'";
}

// Frees the strings HDF5 allocated for a variable-length read, also when copying throws.
struct VariableStrings {
  std::vector<char*> pointers;
  explicit VariableStrings(std::size_t count) : pointers(count, nullptr) {}
  ~VariableStrings() {
    for (char* pointer : pointers) H5free_memory(pointer);
  }
  VariableStrings(const VariableStrings&) = delete;
  VariableStrings& operator=(const VariableStrings&) = delete;
};

// Fixed-length strings end at the first null (null-terminated or null-padded) or are
// padded with spaces.
std::string trim_fixed_string(const char* data, std::size_t size, H5T_str_t padding) {
  std::string text(data, strnlen(data, size));
  if (padding == H5T_STR_SPACEPAD) text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

std::vector<std::string> read_strings(const H5::Attribute& attribute) {
  if (attribute.getTypeClass() != H5T_STRING)
    throw Cause(attribute_label(attribute) + " is not a string");
  const H5::StrType file_type = attribute.getStrType();
  const auto count = static_cast<std::size_t>(attribute.getSpace().getSelectNpoints());
  std::vector<std::string> values;
  if (count == 0) return values;
  values.reserve(count);
  if (file_type.isVariableStr()) {
    VariableStrings buffer(count);
    attribute.read(variable_string_type(file_type.getCset()), buffer.pointers.data());
    for (const char* pointer : buffer.pointers) values.emplace_back(pointer ? pointer : "");
  } else {
    const std::size_t size = file_type.getSize();
    H5::StrType memory_type(H5::PredType::C_S1, size);
    memory_type.setCset(file_type.getCset());  // HDF5 does not convert between charsets
    memory_type.setStrpad(file_type.getStrpad());
    std::vector<char> buffer(size * count);
    attribute.read(memory_type, buffer.data());
    for (std::size_t i = 0; i < count; ++i)
      values.push_back(trim_fixed_string(buffer.data() + i * size, size, file_type.getStrpad()));
  }
  return values;
}

std::string read_string_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute attribute = open_attribute(object, name);
  std::vector<std::string> values = read_strings(attribute);
  if (values.size() != 1)
    throw Cause(object_name(object) + " " + attribute_label(attribute) +
                " holds " + std::to_string(values.size()) + " strings, expected one");
  return values.front();
}

std::vector<std::string> read_string_array_attribute(const H5::H5Object& object,
                                                     const std::string& name) {
  return read_strings(open_attribute(object, name));
}

H5::Attribute open_scalar_attribute(const H5::H5Object& object, const std::string& name,
                                    std::initializer_list<H5T_class_t> classes,
                                    const char* expected) {
  H5::Attribute attribute = open_attribute(object, name);
  const H5T_class_t type_class = attribute.getTypeClass();
  if (std::find(classes.begin(), classes.end(), type_class) == classes.end() ||
      attribute.getSpace().getSelectNpoints() != 1)
    throw Cause(object_name(object) + " " + attribute_label(attribute) + " is not " + expected);
  return attribute;
}

std::int64_t read_int64_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute attribute =
      open_scalar_attribute(object, name, {H5T_INTEGER}, "a single integer");
  std::int64_t value = 0;
  attribute.read(H5::PredType::NATIVE_INT64, &value);
  return value;
}

double read_float64_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute attribute =
      open_scalar_attribute(object, name, {H5T_FLOAT, H5T_INTEGER}, "a single number");
  double value = 0;
  attribute.read(H5::PredType::NATIVE_DOUBLE, &value);
  return value;
}

// An integer 0/1, or h5py's bool (an enum, which HDF5 will not convert to an integer: its
// raw bytes are read instead; any nonzero byte is true whatever the byte order).
bool read_flag_attribute(const H5::H5Object& object, const std::string& name) {
  const H5::Attribute attribute =
      open_scalar_attribute(object, name, {H5T_INTEGER, H5T_ENUM}, "a flag");
  const H5::DataType file_type = attribute.getDataType();
  std::vector<unsigned char> bytes(file_type.getSize());
  attribute.read(file_type, bytes.data());
  return std::any_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b != 0; });
}

// ---------------------------------------------------------------------------------------
// Datasets

H5::DataSpace dataspace_of_shape(const std::vector<std::uint64_t>& shape) {
  if (shape.empty()) return H5::DataSpace(H5S_SCALAR);
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  return H5::DataSpace(static_cast<int>(dims.size()), dims.data());
}

template <class T>
H5::DataSet write_dataset(const H5::Group& group, const std::string& name,
                          const H5::DataSpace& space, const std::vector<T>& values) {
  H5::DataSet dataset = group.createDataSet(name, Hdf5Type<T>::file(), space);
  if (!values.empty()) dataset.write(values.data(), Hdf5Type<T>::memory());
  return dataset;
}

void write_array(const H5::Group& arrays, const std::string& name, const NdArray& array) {
  const H5::DataSpace space = dataspace_of_shape(array.shape);
  const H5::DataSet dataset = std::visit(
      [&](const auto& values) { return write_dataset(arrays, name, space, values); },
      array.data);
  if (!array.layer_names.empty())
    write_string_array_attribute(dataset, "layer_names", array.layer_names);
}

std::size_t element_count(const H5::DataSet& dataset) {
  return static_cast<std::size_t>(dataset.getSpace().getSimpleExtentNpoints());
}

template <class T>
std::vector<T> read_dataset(const H5::DataSet& dataset) {
  std::vector<T> values(element_count(dataset));
  if (!values.empty()) dataset.read(values.data(), Hdf5Type<T>::memory());
  return values;
}

void require_numeric(const H5::DataSet& dataset) {
  const H5T_class_t type_class = dataset.getTypeClass();
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
    throw Cause("dataset " + object_name(dataset) + " is not numeric");
}

double read_scalar(const H5::DataSet& dataset) {
  require_numeric(dataset);
  if (element_count(dataset) != 1)
    throw Cause("dataset " + object_name(dataset) + " is not a single number");
  return read_dataset<double>(dataset).front();
}

std::vector<double> read_series(const H5::DataSet& dataset) {
  require_numeric(dataset);
  if (dataset.getSpace().getSimpleExtentNdims() != 1)
    throw Cause("dataset " + object_name(dataset) + " is not 1-D");
  return read_dataset<double>(dataset);
}

// The element type comes back as written: float → double, uint8 → uint8, other integers
// → int64.
NdArray read_array(const H5::DataSet& dataset) {
  NdArray array;
  const H5::DataSpace space = dataset.getSpace();
  std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  if (!dims.empty()) space.getSimpleExtentDims(dims.data());
  array.shape.assign(dims.begin(), dims.end());
  switch (dataset.getTypeClass()) {
    case H5T_FLOAT:
      array.data = read_dataset<double>(dataset);
      break;
    case H5T_INTEGER: {
      const H5::IntType type = dataset.getIntType();
      if (type.getSign() == H5T_SGN_NONE && type.getSize() == 1)
        array.data = read_dataset<std::uint8_t>(dataset);
      else
        array.data = read_dataset<std::int64_t>(dataset);
      break;
    }
    default:
      throw Cause("dataset " + object_name(dataset) + " is neither float nor integer");
  }
  if (dataset.attrExists("layer_names"))
    array.layer_names = read_string_array_attribute(dataset, "layer_names");
  return array;
}

// ---------------------------------------------------------------------------------------
// Provenance (root attributes)

void write_provenance(const H5::H5File& file, const Provenance& prov) {
  write_string_attribute(file, "qharness_version", prov.qharness_version);
  write_string_attribute(file, "git_commit", prov.git_commit);
  write_number_attribute<std::int8_t>(file, "git_dirty", prov.git_dirty ? 1 : 0);
  write_string_attribute(file, "torch_version", prov.torch_version);
  write_string_attribute(file, "hdf5_version", prov.hdf5_version);
  write_string_attribute(file, "created", prov.created);
  write_string_attribute(file, "experiment_file", prov.experiment_file);
  write_string_attribute(file, "experiment_yaml", prov.experiment_yaml);
  write_string_attribute(file, "overrides", prov.overrides);
  write_string_array_attribute(file, "sweep_trial_ids", prov.sweep_trial_ids);
}

Provenance read_provenance_attributes(const H5::H5File& file) {
  Provenance prov;
  prov.qharness_version = read_string_attribute(file, "qharness_version");
  prov.git_commit = read_string_attribute(file, "git_commit");
  prov.git_dirty = read_flag_attribute(file, "git_dirty");
  prov.torch_version = read_string_attribute(file, "torch_version");
  prov.hdf5_version = read_string_attribute(file, "hdf5_version");
  prov.created = read_string_attribute(file, "created");
  prov.experiment_file = read_string_attribute(file, "experiment_file");
  prov.experiment_yaml = read_string_attribute(file, "experiment_yaml");
  prov.overrides = read_string_attribute(file, "overrides");
  prov.sweep_trial_ids = read_string_array_attribute(file, "sweep_trial_ids");
  return prov;
}

// ---------------------------------------------------------------------------------------
// Trial groups

void write_metrics(const H5::Group& metrics,
                   const std::vector<std::pair<std::string, double>>& values) {
  std::vector<std::string> order;
  for (const auto& [name, value] : values) {
    write_dataset(metrics, name, H5::DataSpace(H5S_SCALAR), std::vector<double>{value});
    order.push_back(name);
  }
  write_string_array_attribute(metrics, "order", order);
}

void write_trial_group(const H5::Group& trials, const TrialRecord& trial) {
  const H5::Group group = create_group(trials, trial.id);
  write_string_attribute(group, "config", trial.config_yaml);
  write_string_attribute(group, "swept", trial.swept_yaml);
  write_number_attribute(group, "index", trial.index);
  write_number_attribute(group, "seed", trial.seed);
  write_string_attribute(group, "status", trial.status);
  write_string_attribute(group, "error", trial.error);
  write_string_attribute(group, "started", trial.started);
  write_string_attribute(group, "finished", trial.finished);
  write_number_attribute(group, "wall_s", trial.wall_s);
  write_number_attribute(group, "threads", trial.threads);
  write_number_attribute(group, "checksum", static_cast<std::int64_t>(trial_checksum(trial)));

  write_metrics(create_group(group, "metrics"), trial.metrics);
  const H5::Group series = create_group(group, "series");
  for (const auto& [name, values] : trial.series) {
    const hsize_t length = values.size();
    write_dataset(series, name, H5::DataSpace(1, &length), values);
  }
  const H5::Group arrays = create_group(group, "arrays");
  for (const auto& [name, array] : trial.arrays) write_array(arrays, name, array);
}

// Metrics in the recorded `order`; any dataset missing from it (added by hand, say)
// follows in the group's own order.
std::vector<std::pair<std::string, double>> read_metrics(const H5::Group& metrics) {
  std::vector<std::string> names;
  if (metrics.attrExists("order")) names = read_string_array_attribute(metrics, "order");
  std::set<std::string> listed(names.begin(), names.end());
  for (std::string& name : child_names(metrics))
    if (listed.insert(name).second) names.push_back(std::move(name));

  std::vector<std::pair<std::string, double>> values;
  for (const std::string& name : names)
    values.emplace_back(name, read_scalar(open_dataset(metrics, name)));
  return values;
}

template <class Value, class Read>
std::vector<std::pair<std::string, Value>> read_datasets(const H5::Group& group, Read read) {
  std::vector<std::pair<std::string, Value>> values;
  for (const std::string& name : child_names(group))
    values.emplace_back(name, read(open_dataset(group, name)));
  return values;
}

// The summary needs only attributes and metrics; series and arrays (a Hessian, say) can be
// large and are read only when asked for.
enum class Contents { kSummary, kEverything };

TrialRecord read_trial_group(const H5::Group& trials, const std::string& id, Contents contents) {
  const H5::Group group = open_group(trials, id);
  TrialRecord trial;
  trial.id = id;
  trial.config_yaml = read_string_attribute(group, "config");
  trial.swept_yaml = read_string_attribute(group, "swept");
  trial.index = read_int64_attribute(group, "index");
  trial.seed = read_int64_attribute(group, "seed");
  trial.status = read_string_attribute(group, "status");
  trial.error = read_string_attribute(group, "error");
  trial.started = read_string_attribute(group, "started");
  trial.finished = read_string_attribute(group, "finished");
  trial.wall_s = read_float64_attribute(group, "wall_s");
  if (group.attrExists("threads")) trial.threads = read_int64_attribute(group, "threads");
  trial.metrics = read_metrics(open_group(group, "metrics"));
  if (contents == Contents::kEverything) {
    trial.series = read_datasets<std::vector<double>>(open_group(group, "series"), read_series);
    trial.arrays = read_datasets<NdArray>(open_group(group, "arrays"), read_array);
    if (group.attrExists("checksum")) {
      const auto stored = static_cast<std::uint32_t>(read_int64_attribute(group, "checksum"));
      if (const std::uint32_t actual = trial_checksum(trial); actual != stored) {
        char text[64];
        std::snprintf(text, sizeof text, "stored %08x, content %08x", stored, actual);
        throw Cause("trial '" + id + "' does not match its checksum (" + text +
                    "): the file was damaged after it was written");
      }
    }
  }
  return trial;
}

// ---------------------------------------------------------------------------------------
// Files

// Files are built in memory (the core driver, no backing store) and written by
// write_file_atomically: HDF5 never writes to disk itself. When HDF5 runs out of disk space
// mid-write, its close fails, the file stays open, and the library later loops or crashes
// closing it (issue 17); written from memory, a full disk is one clean error. The cost: a
// file's image is held twice in memory while it is written.
// The 1.8 object format at least: the earliest format caps an attribute at 64 KiB, which a
// sweep_trial_ids of some 4000 ids exceeds. At most 1.10, so HDF5 1.10 readers can open it
// whatever library version wrote it. Closing with objects still open is an error rather
// than a silent postponement, so that the image is complete when it is taken.
H5::FileAccPropList new_file_access() {
  H5::FileAccPropList access;
  access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_V110);
  access.setFcloseDegree(H5F_CLOSE_SEMI);
  access.setCore(std::size_t{1} << 20, false);
  return access;
}

}  // namespace
}  // namespace qharness::h5

// HDF5's metadata checksum (Jenkins' lookup3), exported by libhdf5 since 1.8.7 but declared
// only in its private headers.
extern "C" std::uint32_t H5_checksum_metadata(const void* data, std::size_t length, std::uint32_t initval);

namespace qharness::h5 {
namespace {

// HDF5 1.10's H5Fget_file_image clears the superblock's status flags (set while the file is
// open for writing) in the image but keeps the checksum computed with them set, so that the
// image of a version 2 or 3 superblock fails to open ("incorrect metadata checksum"). The
// rest of the image is byte for byte what closing the file writes; the checksum is redone.
void fix_superblock_checksum(std::vector<unsigned char>& image) {
  static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (image.size() < 12 || std::memcmp(image.data(), signature, 8) != 0)
    throw Cause("the in-memory file image has no HDF5 superblock at its start");
  if (image[8] < 2) return;  // versions 0 and 1 have no checksum
  // signature, version, size of offsets, size of lengths, flags, then 4 addresses.
  const std::size_t covered = 12 + 4 * std::size_t{image[9]};
  if (image.size() < covered + 4) throw Cause("the in-memory file image is shorter than its superblock");
  const std::uint32_t sum = H5_checksum_metadata(image.data(), covered, 0);
  for (int i = 0; i < 4; ++i) image[covered + i] = static_cast<unsigned char>(sum >> (8 * i));
}

// Builds the file in memory (`fill` writes it), then writes it with write_file_atomically.
template <class Fill>
void write_atomically(const std::string& path, Fill&& fill) {
  std::vector<unsigned char> image;
  {
    // The name only identifies the in-memory file; nothing is created under it.
    H5::H5File file(temporary_name(path), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, new_file_access());
    fill(file);
    file.flush(H5F_SCOPE_LOCAL);
    const ssize_t size = check(H5Fget_file_image(file.getId(), nullptr, 0), "H5Fget_file_image");
    image.resize(static_cast<std::size_t>(size));
    check(H5Fget_file_image(file.getId(), image.data(), image.size()), "H5Fget_file_image");
    file.close();
  }
  fix_superblock_checksum(image);
  write_file_atomically(path, image.data(), image.size());
}

// Opens a file for reading, checking that it is a qharness results file.
H5::H5File open_results_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) && !error) throw Cause("no such file");
  if (std::filesystem::is_directory(path, error)) throw Cause("a directory, not a file");
  if (!H5::H5File::isHdf5(path)) throw Cause("not an HDF5 file");
  H5::H5File file(path, H5F_ACC_RDONLY);
  if (!file.attrExists("qharness_version") || !has_child(file, "trials", H5O_TYPE_GROUP))
    throw Cause("not a qharness results file (no qharness_version attribute or no /trials)");
  return file;
}

// ---------------------------------------------------------------------------------------
// The summary table: columns

struct Column {
  enum class Kind { kText, kInt64, kFloat64 };
  std::string name;
  Kind kind;
  std::vector<std::string> texts;      // kText
  std::vector<std::int64_t> integers;  // kInt64
  std::vector<double> reals;           // kFloat64
};

template <class Get>
Column text_column(const std::string& name, const std::vector<TrialRecord>& trials, Get get) {
  Column column{name, Column::Kind::kText, {}, {}, {}};
  for (const TrialRecord& trial : trials) column.texts.push_back(get(trial));
  return column;
}

template <class Get>
Column int64_column(const std::string& name, const std::vector<TrialRecord>& trials, Get get) {
  Column column{name, Column::Kind::kInt64, {}, {}, {}};
  for (const TrialRecord& trial : trials) column.integers.push_back(get(trial));
  return column;
}

template <class Get>
Column float64_column(const std::string& name, const std::vector<TrialRecord>& trials,
                      Get get) {
  Column column{name, Column::Kind::kFloat64, {}, {}, {}};
  for (const TrialRecord& trial : trials) column.reals.push_back(get(trial));
  return column;
}

// Compound member names must be unique. The fixed fields keep their names; a swept key or
// metric that would clash gets a "swept." or "metrics." prefix.
class ColumnNames {
 public:
  ColumnNames() : taken_{"trial_id", "index", "status", "seed", "wall_s", "error"} {}
  std::string claim(std::string name, const std::string& prefix) {
    while (!taken_.insert(name).second) name = prefix + name;
    return name;
  }

 private:
  std::set<std::string> taken_;
};

using SweptValues = std::vector<std::pair<std::string, std::string>>;

// The swept keys of one trial and their values as text, in the map's order.
SweptValues parse_swept(const TrialRecord& trial) {
  YAML::Node root;
  try {
    root = load_yaml(trial.swept_yaml);   // (a damaged file's text can be anything: config/yaml_text.hpp)
  } catch (const YAML::Exception& e) {
    throw Cause("trial '" + trial.id + "': attribute swept is not YAML: " + e.what());
  }
  if (!root || root.IsNull()) return {};
  if (!root.IsMap()) throw Cause("trial '" + trial.id + "': attribute swept is not a YAML map");
  SweptValues values;
  std::set<std::string> seen;
  for (const auto& entry : root) {
    std::string key = flow_text(entry.first);
    if (seen.insert(key).second) values.emplace_back(std::move(key), flow_text(entry.second));
  }
  return values;
}

// Whether `text` is, entirely, a number (locale-independent; a leading '+' is allowed).
std::optional<double> parse_number(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  if (begin == end) return std::nullopt;
  double value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// A trial's resolved config (an empty node when it is not YAML).
YAML::Node trial_config(const TrialRecord& trial) {
  try {
    return load_yaml(trial.config_yaml);
  } catch (const std::exception&) {
    return YAML::Node();
  }
}

// One column per swept key, in order of first appearance across trials: float64 when every
// present value is a number (NaN where a trial lacks the key), else text ("" where absent).
// A trial that did not sweep a key another trial swept (one run set `hessian.method=quadfit`
// as one value, another swept it; `qharness merge` or a later run consolidates both) takes
// the key's value from its resolved config, so that every row says what it ran.
// The key `seed` is left out: the fixed seed field already holds it.
std::vector<Column> swept_columns(const std::vector<TrialRecord>& trials, ColumnNames& names) {
  std::vector<std::map<std::string, std::string>> values_by_trial;
  std::vector<std::string> keys;
  std::set<std::string> known{"seed"};
  for (const TrialRecord& trial : trials) {
    std::map<std::string, std::string> values;
    for (auto& [key, value] : parse_swept(trial)) {
      if (known.insert(key).second) keys.push_back(key);
      values.emplace(key, std::move(value));
    }
    values_by_trial.push_back(std::move(values));
  }
  for (std::size_t t = 0; t < trials.size(); ++t) {
    std::optional<YAML::Node> config;  // parsed once, for the first key this trial lacks
    for (const std::string& key : keys) {
      if (values_by_trial[t].count(key)) continue;
      if (!config) config = trial_config(trials[t]);
      if (auto value = find_path_text(*config, key)) values_by_trial[t].emplace(key, std::move(*value));
    }
  }

  std::vector<Column> columns;
  for (const std::string& key : keys) {
    Column column{names.claim(key, "swept."), Column::Kind::kFloat64, {}, {}, {}};
    for (const auto& values : values_by_trial) {
      const auto found = values.find(key);
      column.texts.push_back(found == values.end() ? "" : found->second);
      std::optional<double> number;
      if (found != values.end()) {
        number = parse_number(found->second);
        if (!number) column.kind = Column::Kind::kText;
      }
      column.reals.push_back(number.value_or(std::numeric_limits<double>::quiet_NaN()));
    }
    // Both readings were collected; keep the one the kind calls for.
    if (column.kind == Column::Kind::kText)
      column.reals.clear();
    else
      column.texts.clear();
    columns.push_back(std::move(column));
  }
  return columns;
}

// One float64 column per metric name (union over trials, in order of first appearance),
// NaN where a trial lacks the metric.
std::vector<Column> metric_columns(const std::vector<TrialRecord>& trials, ColumnNames& names) {
  std::vector<std::string> metrics;
  std::set<std::string> known;
  for (const TrialRecord& trial : trials)
    for (const auto& [name, value] : trial.metrics)
      if (known.insert(name).second) metrics.push_back(name);

  std::vector<Column> columns;
  for (const std::string& metric : metrics) {
    columns.push_back(float64_column(
        names.claim(metric, "metrics."), trials, [&](const TrialRecord& trial) {
          for (const auto& [name, value] : trial.metrics)
            if (name == metric) return value;
          return std::numeric_limits<double>::quiet_NaN();
        }));
  }
  return columns;
}

std::vector<Column> summary_columns(const std::vector<TrialRecord>& trials) {
  ColumnNames names;
  std::vector<Column> columns;
  columns.push_back(text_column("trial_id", trials, [](const TrialRecord& t) { return t.id; }));
  columns.push_back(int64_column("index", trials, [](const TrialRecord& t) { return t.index; }));
  columns.push_back(text_column("status", trials, [](const TrialRecord& t) { return t.status; }));
  columns.push_back(int64_column("seed", trials, [](const TrialRecord& t) { return t.seed; }));
  for (Column& column : swept_columns(trials, names)) columns.push_back(std::move(column));
  for (Column& column : metric_columns(trials, names)) columns.push_back(std::move(column));
  columns.push_back(
      float64_column("wall_s", trials, [](const TrialRecord& t) { return t.wall_s; }));
  columns.push_back(text_column("error", trials, [](const TrialRecord& t) { return t.error; }));
  return columns;
}

// ---------------------------------------------------------------------------------------
// The summary table: writing

// Fixed-length strings sized to the longest value, at least one byte (HDF5 refuses zero).
H5::StrType fixed_string_type(const std::vector<std::string>& texts) {
  std::size_t size = 1;
  for (const std::string& text : texts) size = std::max(size, text.size());
  H5::StrType type(H5::PredType::C_S1, size);
  type.setCset(H5T_CSET_UTF8);
  type.setStrpad(H5T_STR_NULLPAD);
  return type;
}

// A column's member type. Native numbers serve as both memory and file type: the members
// are packed and the layout is the same on every little-endian host this harness runs on.
// (Copies, not the predefined types themselves, since the vector below owns and closes them.)
H5::DataType member_type(const Column& column) {
  switch (column.kind) {
    case Column::Kind::kText:
      return fixed_string_type(column.texts);
    case Column::Kind::kInt64:
      return H5::IntType(H5::PredType::NATIVE_INT64);
    case Column::Kind::kFloat64:
      break;
  }
  return H5::FloatType(H5::PredType::NATIVE_DOUBLE);
}

// Copies row `row` of `column` to `cell`, which is `size` bytes, zero-filled.
void pack_cell(const Column& column, std::size_t row, char* cell, std::size_t size) {
  switch (column.kind) {
    case Column::Kind::kText:
      std::memcpy(cell, column.texts[row].data(), std::min(size, column.texts[row].size()));
      break;
    case Column::Kind::kInt64:
      std::memcpy(cell, &column.integers[row], sizeof(std::int64_t));
      break;
    case Column::Kind::kFloat64:
      std::memcpy(cell, &column.reals[row], sizeof(double));
      break;
  }
}

void write_summary(const H5::H5File& file, const std::vector<Column>& columns,
                   std::size_t rows) {
  std::vector<H5::DataType> types;
  std::vector<std::size_t> offsets;
  std::size_t row_size = 0;
  for (const Column& column : columns) {
    types.push_back(member_type(column));
    offsets.push_back(row_size);
    row_size += types.back().getSize();
  }
  H5::CompType row_type(row_size);
  for (std::size_t i = 0; i < columns.size(); ++i)
    row_type.insertMember(columns[i].name, offsets[i], types[i]);

  std::vector<char> buffer(rows * row_size, 0);
  for (std::size_t row = 0; row < rows; ++row)
    for (std::size_t i = 0; i < columns.size(); ++i)
      pack_cell(columns[i], row, buffer.data() + row * row_size + offsets[i],
                types[i].getSize());

  const hsize_t length = rows;
  const H5::DataSet summary = file.createDataSet("summary", row_type, H5::DataSpace(1, &length));
  if (rows > 0) summary.write(buffer.data(), row_type);
}

// ---------------------------------------------------------------------------------------
// The summary table: reading as text

std::string format_integer(std::int64_t value) { return std::to_string(value); }

std::string format_real(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<long long>(value));
  char text[32];
  const auto result =
      std::to_chars(text, text + sizeof text, value, std::chars_format::general, 6);
  return std::string(text, result.ptr);
}

// Reads one member of the compound table, by name, into `rows` elements of `type`.
std::vector<char> read_member(const H5::DataSet& table, const std::string& name,
                              const H5::DataType& type, std::size_t rows) {
  const std::size_t size = type.getSize();
  H5::CompType one_member(size);
  one_member.insertMember(name, 0, type);
  std::vector<char> buffer(rows * size);
  if (rows > 0) table.read(buffer.data(), one_member);
  return buffer;
}

template <class T, class Format>
std::vector<std::string> numbers_as_text(const std::vector<char>& buffer, Format format) {
  std::vector<std::string> cells;
  for (std::size_t offset = 0; offset < buffer.size(); offset += sizeof(T)) {
    T value;
    std::memcpy(&value, buffer.data() + offset, sizeof(T));
    cells.push_back(format(value));
  }
  return cells;
}

std::vector<std::string> column_as_text(const H5::DataSet& table, const H5::CompType& type,
                                        unsigned member, std::size_t rows) {
  const std::string name = type.getMemberName(member);
  switch (type.getMemberClass(member)) {
    case H5T_INTEGER:
      return numbers_as_text<std::int64_t>(
          read_member(table, name, H5::PredType::NATIVE_INT64, rows), format_integer);
    case H5T_FLOAT:
      return numbers_as_text<double>(
          read_member(table, name, H5::PredType::NATIVE_DOUBLE, rows), format_real);
    case H5T_STRING: {
      const H5::StrType string_type = type.getMemberStrType(member);
      if (!string_type.isVariableStr()) {
        const std::size_t size = string_type.getSize();
        const std::vector<char> buffer = read_member(table, name, string_type, rows);
        std::vector<std::string> cells;
        for (std::size_t row = 0; row < rows; ++row)
          cells.push_back(
              trim_fixed_string(buffer.data() + row * size, size, string_type.getStrpad()));
        return cells;
      }
      break;
    }
    default:
      break;
  }
  throw Cause("/summary column '" + name + "' is neither a number nor a fixed-length string");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The API

void write_trial_file(const std::string& path, const Provenance& prov,
                      const TrialRecord& trial) {
  require_valid_trial(trial);
  guarded("write the trial file", path, [&] {
    write_atomically(path, [&](const H5::H5File& file) {
      write_provenance(file, prov);
      write_trial_group(create_group(file, "trials"), trial);
    });
  });
}

std::map<std::string, std::string> read_trial_configs(const std::string& path) {
  return guarded("read the trial configs of", path, [&] {
    const H5::H5File file = open_results_file(path);
    const H5::Group trials = file.openGroup("trials");
    std::map<std::string, std::string> configs;
    for (const std::string& id : child_names(trials))
      configs.emplace(id, read_string_attribute(open_group(trials, id), "config"));
    return configs;
  });
}

std::vector<TrialInfo> list_trials(const std::string& path) {
  return guarded("list the trials of", path, [&] {
    const H5::H5File file = open_results_file(path);
    const H5::Group trials = file.openGroup("trials");
    std::vector<TrialInfo> infos;
    for (const std::string& id : child_names(trials)) {
      // One damaged trial must not hide the others a file holds (an experiment file holds
      // every trial of the sweep).
      try {
        last_hdf5_cause().clear();
        const TrialRecord trial = read_trial_group(trials, id, Contents::kEverything);
        infos.push_back({id, trial.index, trial.status, path, ""});
      } catch (const Cause& e) {
        infos.push_back({id, -1, "damaged", path, e.what()});
      } catch (const H5::Exception& e) {
        const std::string& cause = last_hdf5_cause();
        infos.push_back({id, -1, "damaged", path, cause.empty() ? e.getFuncName() + ": " + e.getDetailMsg() : cause});
      }
    }
    std::stable_sort(infos.begin(), infos.end(),
                     [](const TrialInfo& a, const TrialInfo& b) { return a.index < b.index; });
    return infos;
  });
}

namespace {

// Source files stay open while they are needed again soon: a shard holds many trials, and
// trials in index order alternate between shards. The bound keeps a merge of many
// single-trial files within the process's file descriptors.
class SourceFiles {
 public:
  const H5::H5File& open(const std::string& path) {
    auto found = files_.find(path);
    if (found != files_.end()) return found->second;
    if (files_.size() >= kMaxOpen) files_.clear();
    return files_.emplace(path, open_results_file(path)).first->second;
  }

 private:
  static constexpr std::size_t kMaxOpen = 32;
  std::map<std::string, H5::H5File> files_;
};

void copy_trial(SourceFiles& sources, const TrialInfo& info, const H5::Group& destination) {
  guarded("copy trial '" + info.id + "' from", info.file, [&] {
    const H5::H5File& source = sources.open(info.file);
    open_group(source.openGroup("trials"), info.id);  // a clear message when it is missing
    check(H5Ocopy(source.getId(), ("trials/" + info.id).c_str(), destination.getId(),
                  info.id.c_str(), H5P_DEFAULT, H5P_DEFAULT),
          "H5Ocopy");
  });
}

std::vector<TrialInfo> sorted_by_index(std::vector<TrialInfo> trials) {
  std::stable_sort(trials.begin(), trials.end(),
                   [](const TrialInfo& a, const TrialInfo& b) { return a.index < b.index; });
  return trials;
}

}  // namespace

void write_consolidated(const std::string& out_path, const Provenance& prov,
                        const std::vector<TrialInfo>& trials) {
  require_unique_ids(trials);
  const std::vector<TrialInfo> ordered = sorted_by_index(trials);
  guarded("write the consolidated file", out_path, [&] {
    write_atomically(out_path, [&](const H5::H5File& file) {
      write_provenance(file, prov);
      const H5::Group destination = create_group(file, "trials");
      {
        SourceFiles sources;  // closed before the output file is
        for (const TrialInfo& info : ordered) copy_trial(sources, info, destination);
      }
      std::vector<TrialRecord> copied;
      for (const TrialInfo& info : ordered)
        copied.push_back(read_trial_group(destination, info.id, Contents::kSummary));
      write_summary(file, summary_columns(copied), copied.size());
    });
  });
}

Provenance read_provenance(const std::string& path) {
  return guarded("read the provenance of", path,
                 [&] { return read_provenance_attributes(open_results_file(path)); });
}

TrialRecord read_trial(const std::string& path, const std::string& id) {
  return guarded("read trial '" + id + "' from", path, [&] {
    const H5::H5File file = open_results_file(path);
    return read_trial_group(file.openGroup("trials"), id, Contents::kEverything);
  });
}

std::optional<std::size_t> column_index(const SummaryTable& table, const std::string& name) {
  for (std::size_t c = 0; c < table.columns.size(); ++c)
    if (table.columns[c] == name) return c;
  return std::nullopt;
}

SummaryTable read_summary(const std::string& path) {
  return guarded("read the summary of", path, [&] {
    const H5::H5File file = open_results_file(path);
    if (!has_child(file, "summary", H5O_TYPE_DATASET))
      throw Cause("no /summary table (trial files have none)");
    const H5::DataSet table = file.openDataSet("summary");
    if (table.getTypeClass() != H5T_COMPOUND || table.getSpace().getSimpleExtentNdims() != 1)
      throw Cause("/summary is not a 1-D compound table");
    const H5::CompType type = table.getCompType();
    const std::size_t rows = element_count(table);

    SummaryTable summary;
    summary.rows.assign(rows, std::vector<std::string>(type.getNmembers()));
    summary.numbers.assign(rows, std::vector<double>(type.getNmembers(), std::numeric_limits<double>::quiet_NaN()));
    for (unsigned member = 0; member < static_cast<unsigned>(type.getNmembers()); ++member) {
      summary.columns.push_back(type.getMemberName(member));
      std::vector<std::string> cells = column_as_text(table, type, member, rows);
      for (std::size_t row = 0; row < rows; ++row)
        summary.rows[row][member] = std::move(cells[row]);
      const H5T_class_t member_class = type.getMemberClass(member);
      if (member_class == H5T_INTEGER || member_class == H5T_FLOAT) {
        // HDF5 converts integers to doubles on read.
        const std::vector<char> buffer =
            read_member(table, summary.columns.back(), H5::PredType::NATIVE_DOUBLE, rows);
        for (std::size_t row = 0; row < rows; ++row)
          std::memcpy(&summary.numbers[row][member], buffer.data() + row * sizeof(double), sizeof(double));
      }
    }
    return summary;
  });
}

}  // namespace qharness::h5
