#pragma once
// Base64 (RFC 4648, with '=' padding), for embedding images in a self-contained HTML page as
// data: URIs.
#include <string>

namespace qharness {

std::string base64_encode(const std::string& bytes);

}  // namespace qharness
