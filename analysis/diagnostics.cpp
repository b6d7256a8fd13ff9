// diagnostics.cpp: collecting and printing the warnings of an analysis run.
#include "analysis/diagnostics.h"

#include <sstream>

namespace xfer {

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
  return s + message;
}

void Diagnostics::add(Diagnostic d) {
  // Several tables may notice the same empty group: say it once.
  for (const auto& x : items_)
    if (x.file == d.file && x.line == d.line && x.message == d.message && x.skipped == d.skipped) return;
  items_.push_back(std::move(d));
}

void Diagnostics::warn(std::string file, long line, std::string message) {
  add({std::move(file), line, std::move(message), false});
}

void Diagnostics::skip(std::string file, long line, std::string message) {
  add({std::move(file), line, std::move(message), true});
}

int Diagnostics::skipped_count() const {
  int n = 0;
  for (const auto& d : items_) n += d.skipped ? 1 : 0;
  return n;
}

bool Diagnostics::mentions(const std::string& needle) const {
  for (const auto& d : items_)
    if (d.text().find(needle) != std::string::npos) return true;
  return false;
}

std::string Diagnostics::report() const {
  std::ostringstream out;
  for (const auto& d : items_) out << (d.skipped ? "skipped: " : "warning: ") << d.text() << "\n";
  out << items_.size() << " warning(s), " << skipped_count() << " input(s) skipped\n";
  return out.str();
}

}  // namespace xfer
