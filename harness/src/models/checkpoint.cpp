#include "models/checkpoint.hpp"

#include <boost/filesystem.hpp>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <stdexcept>

namespace fs = boost::filesystem;

namespace qharness {

void save_checkpoint(QModel& model, const std::string& path) {
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  torch::serialize::OutputArchive archive;
  model.save(archive);
  archive.write("qharness_arch", c10::IValue(model.arch()));
  archive.save_to(tmp);
  fs::rename(tmp, target);
}

void load_checkpoint(QModel& model, const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error("checkpoint '" + path + "' does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "' is not a readable checkpoint (corrupt or truncated?): " +
                             std::string(e.what()).substr(0, 300));
  }
  c10::IValue arch;
  if (!archive.try_read("qharness_arch", arch) || !arch.isString())
    throw std::runtime_error("checkpoint '" + path + "' was not written by qharness (no architecture name); "
                             "torchvision weights come in with `qharness import`");
  if (arch.toStringRef() != model.arch())
    throw std::runtime_error("checkpoint '" + path + "' holds a " + arch.toStringRef() + ", not a " + model.arch());
  // torch's loader replaces tensors without comparing shapes: compare them here.
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes;
  for (const auto& p : model.named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : model.named_buffers()) shapes.emplace_back(b.key(), b.value().sizes().vec());
  try {
    model.load(archive);
  } catch (const std::exception& e) {
    throw std::runtime_error("checkpoint '" + path + "' does not fit the " + model.arch() + " built for this data: " +
                             std::string(e.what()).substr(0, 300));
  }
  std::size_t k = 0;
  auto check = [&](const std::string& name, const at::Tensor& t) {
    if (t.sizes().vec() != shapes[k].second)
      throw std::runtime_error("checkpoint '" + path + "': " + name + " has shape " + c10::str(t.sizes()) + ", the " +
                               model.arch() + " built for this data expects " + c10::str(c10::IntArrayRef(shapes[k].second)));
    ++k;
  };
  for (const auto& p : model.named_parameters()) check(p.key(), p.value());
  for (const auto& b : model.named_buffers()) check(b.key(), b.value());
}

}  // namespace qharness
