// json_whole.h: counts and ids as the data folders' JSON files (manifest.json,
// view.json) must hold them, read without nlohmann's silent conversions.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace xfer {

// A count or an id as manifest.json must hold it: a whole number within
// [lo, hi]. nlohmann would read 8.9 as 8 and -1 as a huge size_t.
template <class T>
inline T whole(const nlohmann::json& v, const std::string& what, T lo, T hi = std::numeric_limits<T>::max()) {
  if (!v.is_number_integer()) throw std::runtime_error(what + " is " + v.dump() + ", not a whole number");
  const int64_t x = v.get<int64_t>();
  if (x < int64_t(lo) || (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(hi) : x > int64_t(hi)))
    throw std::runtime_error(what + " is " + v.dump() + ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<T>(x);
}

template <class T>
inline std::vector<T> wholes(const nlohmann::json& v, const std::string& what, T lo) {
  if (!v.is_array()) throw std::runtime_error(what + " is " + std::string(v.type_name()) + ", not an array");
  std::vector<T> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) out.push_back(whole<T>(v[i], what + "[" + std::to_string(i) + "]", lo));
  return out;
}


}  // namespace xfer
