#include "util/base64.hpp"

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>

namespace qharness {

std::string base64_encode(const std::string& bytes) {
  namespace it = boost::archive::iterators;
  // 8-bit bytes regrouped into 6-bit values, each mapped to its character. A final group of
  // 1 or 2 bytes is completed with zero bits by transform_width; the '=' padding is ours.
  using Encoder = it::base64_from_binary<it::transform_width<std::string::const_iterator, 6, 8>>;
  std::string out(Encoder(bytes.begin()), Encoder(bytes.end()));
  out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

}  // namespace qharness
