#pragma once
// Lookup in the harness's tables of named things (tasks, datasets, models): each is a vector
// of structs with a `name` member, and every table answers "which names are there" and "find
// this one, or say which exist" the same way.
#include <stdexcept>
#include <string>
#include <vector>

#include "util/text.hpp"

namespace qharness {

template <class Info>
std::vector<std::string> names_of(const std::vector<Info>& table) {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& entry : table) names.push_back(entry.name);
  return names;
}

// nullptr when `name` is not in the table.
template <class Info>
const Info* find_named(const std::vector<Info>& table, const std::string& name) {
  for (const auto& entry : table)
    if (entry.name == name) return &entry;
  return nullptr;
}

// "unknown model 'vgg'; known: mlp, lenet5, ..." (what = "model", "dataset", ...), with a
// "did you mean" when the name is a plausible typo of a known one.
std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& known);

// The entry named `name`; std::invalid_argument with unknown_name_message() otherwise.
template <class Info>
const Info& require_named(const std::vector<Info>& table, const std::string& name, const std::string& what) {
  if (const Info* entry = find_named(table, name)) return *entry;
  throw std::invalid_argument(unknown_name_message(what, name, names_of(table)));
}

}  // namespace qharness
