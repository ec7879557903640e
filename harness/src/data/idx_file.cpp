#include "data/idx_file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace qharness {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("IDX file '" + path + "': " + what);
}

// The whole (decompressed) content. zlib reads plain files transparently.
std::vector<std::uint8_t> read_all(const std::string& path) {
  errno = 0;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail(path, errno ? std::string("cannot open: ") + std::strerror(errno) : "cannot open");
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> chunk(1 << 20);
  for (;;) {
    const int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      fail(path, "corrupt compressed data (" + msg + ")");
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    if (n == 0) break;
  }
  // A gzip stream cut short reads as a clean end of data unless the error is checked.
  int code = Z_OK;
  std::string msg = gzerror(f, &code);
  gzclose(f);
  if (code != Z_OK && code != Z_STREAM_END)
    fail(path, "corrupt or truncated compressed data (" + msg + ")");
  return out;
}

}  // namespace

IdxArray read_idx_file(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_all(path);
  if (bytes.size() < 4) fail(path, "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the 4-byte header");
  if (bytes[0] != 0 || bytes[1] != 0)
    fail(path, "not an IDX file (the first two bytes are not zero; is it an image or another format?)");
  if (bytes[2] != 0x08) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", bytes[2]);
    fail(path, std::string("element type ") + hex + " is not unsigned byte (0x08)");
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > 4) fail(path, "unexpected number of dimensions " + std::to_string(ndims));
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndims);
  if (bytes.size() < header) fail(path, "truncated inside the header");
  IdxArray a;
  std::size_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const std::uint8_t* p = &bytes[4 + 4 * d];
    const std::uint32_t v = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
    if (v == 0 || v > (1u << 28)) fail(path, "implausible dimension " + std::to_string(v));
    a.dims.push_back(v);
    count *= v;
    if (count > (std::size_t(1) << 34)) fail(path, "implausible total size");
  }
  const std::size_t have = bytes.size() - header;
  if (have < count)
    fail(path, "truncated: the header announces " + std::to_string(count) + " bytes of data, the file has " +
                   std::to_string(have));
  if (have > count)
    fail(path, std::to_string(have - count) + " unexpected bytes after the " + std::to_string(count) +
                   " bytes of data the header announces");
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

}  // namespace qharness
