// json_read.h: the strict JSON readers' shared pieces (result.json,
// similarity.json): a refusal that the reader turns into one line naming the
// file, typed fields, and the file read whole.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

namespace xfer::json_read {

using nlohmann::json;

// Something wrong with the file: caught where it is read, so that the one
// message names the file and what is wrong.
struct Refusal {
  std::string what;
};

inline const json& member(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw Refusal{std::string("field '") + key + "' is missing"};
  return *it;
}

template <class T>
T field(const json& j, const char* key) {
  const json& v = member(j, key);
  bool ok = false;
  const char* want = "";
  if constexpr (std::is_same_v<T, bool>) {
    ok = v.is_boolean();
    want = "a boolean";
  } else if constexpr (std::is_same_v<T, std::string>) {
    ok = v.is_string();
    want = "a string";
  } else {
    static_assert(std::is_integral_v<T>);
    ok = v.is_number_integer();
    want = "an integer";
  }
  if (!ok) throw Refusal{std::string("field '") + key + "' is " + v.type_name() + ", not " + want};
  return v.get<T>();
}

inline json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Refusal{"cannot open"};
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double (1e999) is out_of_range.
    throw Refusal{std::string("not valid JSON: ") + e.what()};
  } catch (const std::exception& e) {  // the stream's own failure: a folder by that name
    throw Refusal{std::string("cannot read: ") + e.what()};
  }
}

}  // namespace xfer::json_read
