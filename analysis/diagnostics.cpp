// diagnostics.cpp: collecting and printing the warnings of an analysis run.
#include "analysis/diagnostics.h"

#include <sstream>

namespace xfer {

namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence starting at s[i], or 0 where there is
// none. Overlong forms, surrogates and code points past U+10FFFF are invalid.
size_t utf8_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  unsigned char b = at(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return continuation(at(1)) ? 2 : 0;
  // The second byte's range is what rules out the overlong and surrogate forms.
  unsigned char lo = 0x80, hi = 0xBF;
  if (b == 0xE0) lo = 0xA0;
  if (b == 0xED) hi = 0x9F;
  if (b == 0xF0) lo = 0x90;
  if (b == 0xF4) hi = 0x8F;
  bool second = at(1) >= lo && at(1) <= hi;
  if (b >= 0xE0 && b <= 0xEF) return second && continuation(at(2)) ? 3 : 0;
  if (b >= 0xF0 && b <= 0xF4) return second && continuation(at(2)) && continuation(at(3)) ? 4 : 0;
  return 0;
}

}  // namespace

std::string printable(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = utf8_length(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string Diagnostic::text() const {
  std::string s;
  if (!file.empty()) {
    s = file;
    if (line > 0) {
      s += ':';
      s += std::to_string(line);
    }
    s += ": ";
  }
  return printable(s + message);
}

void Diagnostics::add(Diagnostic d) {
  // Several tables may notice the same empty group: say it once.
  for (const auto& x : items_)
    if (x.file == d.file && x.line == d.line && x.message == d.message && x.severity == d.severity) return;
  items_.push_back(std::move(d));
}

void Diagnostics::warn(std::string file, long line, std::string message) {
  add({std::move(file), line, std::move(message), Severity::Warning});
}

void Diagnostics::skip(std::string file, long line, std::string message) {
  add({std::move(file), line, std::move(message), Severity::Skipped});
}

void Diagnostics::error(std::string file, long line, std::string message) {
  add({std::move(file), line, std::move(message), Severity::Error});
}

int Diagnostics::skipped_count() const {
  int n = 0;
  for (const auto& d : items_) n += d.severity == Severity::Skipped ? 1 : 0;
  return n;
}

int Diagnostics::error_count() const {
  int n = 0;
  for (const auto& d : items_) n += d.severity == Severity::Error ? 1 : 0;
  return n;
}

bool Diagnostics::mentions(const std::string& needle) const {
  for (const auto& d : items_)
    if (d.text().find(needle) != std::string::npos) return true;
  return false;
}

std::string Diagnostics::report() const {
  static const char* prefix[] = {"warning: ", "skipped: ", "error: "};
  std::ostringstream out;
  for (const auto& d : items_) out << prefix[static_cast<int>(d.severity)] << d.text() << "\n";
  int errors = error_count();
  out << items_.size() - errors << " warning(s), " << skipped_count() << " input(s) skipped";
  if (errors) out << ", " << errors << " error(s)";
  out << "\n";
  return out.str();
}

bool folder_or_error(const std::filesystem::path& dir, const std::string& what, Diagnostics& diag) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return true;
  diag.error(dir.string(), 0, "no such " + what);
  return false;
}

}  // namespace xfer
