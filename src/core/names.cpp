// names.cpp: the one rule for names and values (names.h).
#include "core/names.h"

#include <cstdio>

namespace xfer {

std::string split_name_problem(std::string_view name) {
  const bool ok = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                           "0123456789_-") == std::string_view::npos;
  if (ok) return "";
  if (!control_character_problem(name).empty())
    return "a split's name is letters, digits, '_' and '-'; this one " + control_character_problem(name);
  return "a split's name is letters, digits, '_' and '-', not '" + escape_control_characters(name) + "'";
}

std::string control_character_problem(std::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "holds a control character (0x%02x at byte %zu)", c, i);
      return buf;
    }
  }
  return "";
}

std::string escape_control_characters(std::string_view value) {
  std::string out;
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace xfer
