// table.h: a small table model (title, headers, rows of typed entries, notes)
// and its three renderings: Markdown for the terminal and README, CSV for
// pandas, LaTeX for papers. Missing values stay missing: never printed as 0.
#pragma once

#include <string>
#include <vector>

namespace xfer {

struct Entry {
  enum class Kind { Missing, Text, Value, Delta, Count, Probability };
  Kind kind = Kind::Missing;
  std::string text;
  double number = 0;

  static Entry missing() { return {}; }
  static Entry of_text(std::string s) { return {Kind::Text, std::move(s), 0}; }
  // A value (accuracy): NaN becomes missing.
  static Entry value(double v);
  // A difference, printed with its sign: NaN becomes missing.
  static Entry delta(double v);
  static Entry count(int n) { return {Kind::Count, {}, static_cast<double>(n)}; }
  // A p-value: NaN (no test possible) becomes missing.
  static Entry probability(double p);
};

struct Table {
  std::string name;   // file stem for --out: "main", "table1", ...
  std::string title;  // one line saying what the table is
  std::vector<std::string> headers;
  std::vector<std::vector<Entry>> rows;
  std::vector<std::string> notes;  // printed under the table (Markdown, LaTeX)
};

enum class Format { Markdown, Csv, Latex };
const char* extension(Format f);  // "md", "csv", "tex"

std::string render(const Table& t, Format f);

// Text for LaTeX's text mode: _ % & # $ { } ~ ^ \ < > | escaped, and the
// Unicode minus, em dash, plus-minus and times of the Markdown text as LaTeX.
std::string latex_escape(const std::string& s);

}  // namespace xfer
