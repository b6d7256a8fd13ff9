// table.cpp: rendering tables as Markdown, CSV and LaTeX.
#include "analysis/table.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

namespace xfer {

Entry Entry::value(double v) { return std::isnan(v) ? missing() : Entry{Kind::Value, {}, v}; }
Entry Entry::delta(double v) { return std::isnan(v) ? missing() : Entry{Kind::Delta, {}, v}; }
Entry Entry::probability(double p) { return std::isnan(p) ? missing() : Entry{Kind::Probability, {}, p}; }

const char* extension(Format f) {
  switch (f) {
    case Format::Markdown: return "md";
    case Format::Csv: return "csv";
    case Format::Latex: return "tex";
  }
  return "txt";
}

namespace {

// Four decimals as the paper; CSV keeps more for further computation.
std::string show(const Entry& e, Format f) {
  char buf[64];
  switch (e.kind) {
    case Entry::Kind::Missing:
      return f == Format::Csv ? "" : (f == Format::Latex ? "--" : "—");
    case Entry::Kind::Text: return e.text;
    case Entry::Kind::Count: std::snprintf(buf, sizeof buf, "%d", static_cast<int>(e.number)); return buf;
    case Entry::Kind::Value:
      std::snprintf(buf, sizeof buf, f == Format::Csv ? "%.6f" : "%.4f", e.number);
      return buf;
    case Entry::Kind::Delta:
      std::snprintf(buf, sizeof buf, f == Format::Csv ? "%+.6f" : "%+.4f", e.number);
      // A difference that rounds to zero is "+0.0000", not "-0.0000".
      if (buf[0] == '-' && std::string(buf).find_first_of("123456789") == std::string::npos) buf[0] = '+';
      return buf;
    case Entry::Kind::Probability:
      // Four decimals would print a small p as 0.0000, which reads as "impossible".
      if (f == Format::Csv) std::snprintf(buf, sizeof buf, "%.6g", e.number);
      else std::snprintf(buf, sizeof buf, e.number >= 1e-4 ? "%.4f" : "%.1e", e.number);
      return buf;
  }
  return "";
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A number as LaTeX: a minus sign is a math minus (a hyphen in text mode is
// too short), and "3.2e-07" becomes 3.2 x 10^-7.
std::string latex_number(const std::string& shown) {
  std::string mantissa = shown, exponent;
  if (size_t e = shown.find('e'); e != std::string::npos) {
    mantissa = shown.substr(0, e);
    exponent = std::to_string(std::stoi(shown.substr(e + 1)));
  }
  if (!mantissa.empty() && mantissa[0] == '-') mantissa = "$-$" + mantissa.substr(1);
  if (exponent.empty()) return mantissa;
  return mantissa + "$\\times 10^{" + exponent + "}$";
}

bool numeric(const Entry& e) { return e.kind != Entry::Kind::Text; }

}  // namespace

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '_': case '%': case '&': case '#': case '$': case '{': case '}': out += '\\'; out += c; break;
      case '\\': out += "\\textbackslash{}"; break;
      case '~': out += "\\textasciitilde{}"; break;
      case '^': out += "\\textasciicircum{}"; break;
      // In pdflatex's default font encoding these print as other glyphs.
      case '<': out += "\\textless{}"; break;
      case '>': out += "\\textgreater{}"; break;
      case '|': out += "\\textbar{}"; break;
      default: out += c;
    }
  }
  // The Unicode signs of the Markdown text; after the loop above, whose
  // escapes must not touch the math they insert.
  const std::pair<const char*, const char*> unicode[] = {
      {"\u2212", "$-$"}, {"\u2014", "---"}, {"\u00b1", "$\\pm$"}, {"\u00d7", "$\\times$"}};
  for (auto [from, to] : unicode)
    for (size_t at; (at = out.find(from)) != std::string::npos;) out.replace(at, std::string(from).size(), to);
  return out;
}

namespace {

std::string render_csv(const Table& t) {
  std::ostringstream out;
  for (size_t i = 0; i < t.headers.size(); ++i) out << (i ? "," : "") << csv_quote(t.headers[i]);
  out << "\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_quote(show(row[i], Format::Csv));
    out << "\n";
  }
  return out.str();
}

// Numbers right-aligned, labels left, decided by the first row.
bool right_aligned(const Table& t, size_t column) {
  return !t.rows.empty() && column < t.rows[0].size() && numeric(t.rows[0][column]);
}

std::string render_markdown(const Table& t) {
  std::ostringstream out;
  out << "### " << t.title << "\n\n|";
  for (const auto& h : t.headers) out << " " << h << " |";
  out << "\n|";
  for (size_t i = 0; i < t.headers.size(); ++i) out << (right_aligned(t, i) ? " ---: |" : " --- |");
  out << "\n";
  for (const auto& row : t.rows) {
    out << "|";
    for (const auto& e : row) out << " " << show(e, Format::Markdown) << " |";
    out << "\n";
  }
  for (const auto& n : t.notes) out << "\n" << n << "\n";
  return out.str();
}

// A table float that compiles as it is inside any document that loads
// booktabs; the notes go under the rules, in small type.
std::string render_latex(const Table& t) {
  std::ostringstream out;
  out << "% " << t.title << "\n% Needs \\usepackage{booktabs} in the preamble (\\toprule, \\midrule, \\bottomrule).\n"
      << "\\begin{table}[t]\n\\centering\n\\begin{tabular}{";
  for (size_t i = 0; i < t.headers.size(); ++i) out << (right_aligned(t, i) ? "r" : "l");
  out << "}\n\\toprule\n";
  for (size_t i = 0; i < t.headers.size(); ++i) out << (i ? " & " : "") << latex_escape(t.headers[i]);
  out << " \\\\\n\\midrule\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell = show(row[i], Format::Latex);
      if (row[i].kind == Entry::Kind::Text) cell = latex_escape(cell);
      else if (row[i].kind != Entry::Kind::Missing) cell = latex_number(cell);  // "--" is no minus sign
      out << (i ? " & " : "") << cell;
    }
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
  if (!t.notes.empty()) {
    out << "\\par\\smallskip\n{\\footnotesize\\raggedright\n";
    for (const auto& n : t.notes) out << latex_escape(n) << "\\par\n";
    out << "}\n";
  }
  out << "\\caption{" << latex_escape(t.title) << "}\n\\label{tab:" << t.name << "}\n\\end{table}\n";
  return out.str();
}

}  // namespace

std::string render(const Table& t, Format f) {
  switch (f) {
    case Format::Csv: return render_csv(t);
    case Format::Markdown: return render_markdown(t);
    case Format::Latex: return render_latex(t);
  }
  return "";
}

}  // namespace xfer
