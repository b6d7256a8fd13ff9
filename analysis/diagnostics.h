// diagnostics.h: the warnings of one analysis run. Bad input never stops the
// run: each problem is recorded with its file (and line, where there is one),
// the input is skipped, and a summary of what was skipped is printed at the end.
// Errors are the exception: input that makes any table wrong whichever way it
// is read (two results for one cell); the binaries print everything and stop.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xfer {

enum class Severity {
  Warning,  // reported; the input is used
  Skipped,  // the file or line was left out of the analysis
  Error,    // no table can be trusted: the binaries write none
};

struct Diagnostic {
  std::string file;  // empty when the problem is not about one file
  long line = 0;     // 0 when not about one line
  std::string message;
  Severity severity = Severity::Warning;
  std::string text() const;  // "file:line: message", as printable() makes it
};

class Diagnostics {
 public:
  void warn(std::string file, long line, std::string message);
  // Like warn, and counts the file or line as skipped.
  void skip(std::string file, long line, std::string message);
  void error(std::string file, long line, std::string message);
  const std::vector<Diagnostic>& all() const { return items_; }
  int skipped_count() const;
  int error_count() const;
  bool empty() const { return items_.empty(); }
  // True when some diagnostic's text contains `needle` (for tests and callers).
  bool mentions(const std::string& needle) const;
  // One line per diagnostic, then "N warning(s), M input(s) skipped" and,
  // where there are any, ", K error(s)".
  std::string report() const;

 private:
  void add(Diagnostic d);  // drops an exact repeat
  std::vector<Diagnostic> items_;
};

// Whether `dir` is a folder to read; where it is not, an error naming it:
// "no such <what>".
bool folder_or_error(const std::filesystem::path& dir, const std::string& what, Diagnostics& diag);

// `s` as one line of valid UTF-8: bytes that are not part of a valid UTF-8
// sequence, and control characters (a newline in a file name), become \xNN.
// File names and log lines are bytes, not text; a message must stay readable
// (and one line) whatever they hold.
std::string printable(std::string_view s);

}  // namespace xfer
