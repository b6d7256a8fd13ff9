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

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '%' || c == '&' || c == '#') out += '\\';
    out += c;
  }
  // The Unicode minus and dash of the Markdown text, for pdflatex.
  for (auto [from, to] : {std::pair<std::string, std::string>{"\u2212", "$-$"}, {"\u2014", "---"}})
    for (size_t at; (at = out.find(from)) != std::string::npos;) out.replace(at, from.size(), to);
  return out;
}

bool numeric(const Entry& e) { return e.kind != Entry::Kind::Text; }

}  // namespace

std::string render(const Table& t, Format f) {
  std::ostringstream out;
  if (f == Format::Csv) {
    for (size_t i = 0; i < t.headers.size(); ++i) out << (i ? "," : "") << csv_quote(t.headers[i]);
    out << "\n";
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_quote(show(row[i], f));
      out << "\n";
    }
    return out.str();
  }
  if (f == Format::Markdown) {
    out << "### " << t.title << "\n\n|";
    for (const auto& h : t.headers) out << " " << h << " |";
    out << "\n|";
    for (size_t i = 0; i < t.headers.size(); ++i) {
      bool right = !t.rows.empty() && i < t.rows[0].size() && numeric(t.rows[0][i]);
      out << (right ? " ---: |" : " --- |");
    }
    out << "\n";
    for (const auto& row : t.rows) {
      out << "|";
      for (const auto& e : row) out << " " << show(e, f) << " |";
      out << "\n";
    }
    for (const auto& n : t.notes) out << "\n" << n << "\n";
    return out.str();
  }
  // LaTeX: a table environment with booktabs rules.
  out << "% " << t.title << "\n\\begin{table}[t]\n\\centering\n\\begin{tabular}{";
  for (size_t i = 0; i < t.headers.size(); ++i) {
    bool right = !t.rows.empty() && i < t.rows[0].size() && numeric(t.rows[0][i]);
    out << (right ? "r" : "l");
  }
  out << "}\n\\toprule\n";
  for (size_t i = 0; i < t.headers.size(); ++i) out << (i ? " & " : "") << latex_escape(t.headers[i]);
  out << " \\\\\n\\midrule\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i ? " & " : "") << latex_escape(show(row[i], f));
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n\\caption{" << latex_escape(t.title) << "}\n\\label{tab:"
      << t.name << "}\n\\end{table}\n";
  return out.str();
}

}  // namespace xfer
