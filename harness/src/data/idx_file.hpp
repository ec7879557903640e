#pragma once
// Reader of the IDX format of MNIST and Fashion-MNIST (gzip-compressed, as Debian's
// dataset-fashion-mnist ships them, or plain): a 4-byte magic (0, 0, element type, number of
// dimensions), the dimensions as big-endian uint32, then the elements. Only unsigned bytes
// (type 0x08) occur in these datasets and only they are accepted.
//
// Every problem is a std::runtime_error naming the file and what is wrong: missing or
// unreadable, not gzip/corrupt compressed data, wrong magic, truncated, trailing bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace qharness {

struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;   // row-major, product(dims) bytes
};

IdxArray read_idx_file(const std::string& path);

}  // namespace qharness
