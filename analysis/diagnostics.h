// diagnostics.h: the warnings of one analysis run. Bad input never stops the
// run: each problem is recorded with its file (and line, where there is one),
// the input is skipped, and a summary of what was skipped is printed at the end.
#pragma once

#include <string>
#include <vector>

namespace xfer {

struct Diagnostic {
  std::string file;  // empty when the problem is not about one file
  long line = 0;     // 0 when not about one line
  std::string message;
  bool skipped = false;  // the file or line was left out of the analysis
  std::string text() const;  // "file:line: message"
};

class Diagnostics {
 public:
  void warn(std::string file, long line, std::string message);
  // Like warn, and counts the file or line as skipped.
  void skip(std::string file, long line, std::string message);
  const std::vector<Diagnostic>& all() const { return items_; }
  int skipped_count() const;
  bool empty() const { return items_.empty(); }
  // True when some diagnostic's text contains `needle` (for tests and callers).
  bool mentions(const std::string& needle) const;
  // One line per diagnostic, then "N warning(s), M input(s) skipped".
  std::string report() const;

 private:
  void add(Diagnostic d);  // drops an exact repeat
  std::vector<Diagnostic> items_;
};

}  // namespace xfer
