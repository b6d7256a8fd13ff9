// test_latex.cpp: the LaTeX tables are documents' material as they are:
// special characters escaped, minus signs as math, notes kept, the caption
// not numbered twice, booktabs named; and, where pdflatex is installed, every
// table compiles.
#include <gtest/gtest.h>

#include "analysis/tables.h"
#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

TEST(Latex, EscapesEverySpecialCharacter) {
  EXPECT_EQ(latex_escape("a_b 5% & #1 $x {y} ~z ^w \\q <|>"),
            "a\\_b 5\\% \\& \\#1 \\$x \\{y\\} \\textasciitilde{}z \\textasciicircum{}w \\textbackslash{}q "
            "\\textless{}\\textbar{}\\textgreater{}");
  EXPECT_EQ(latex_escape("\u22120.1 \u00b1 2 \u00d7 3 \u2014 ours \u2212 paper"),
            "$-$0.1 $\\pm$ 2 $\\times$ 3 --- ours $-$ paper");
}

Table sample() {
  Table t{"table1", "Boost of AnB+ (top10), the paper's Table 1", {"layers", "95% CI low", "p over baseB", "a_b"}, {}, {}};
  t.rows.push_back({Entry::of_text("1-7"), Entry::value(-0.09), Entry::probability(3.2e-7), Entry::delta(-0.0123)});
  t.rows.push_back({Entry::of_text("x_y"), Entry::missing(), Entry::probability(0.0214), Entry::delta(0.5)});
  t.notes = {"p: Welch t-test; 95% CI: mean ± t × std", "second note"};
  return t;
}

TEST(Latex, TableIsReadyToInclude) {
  std::string tex = render(sample(), Format::Latex);
  EXPECT_EQ(tex.find("% Boost of AnB+"), 0u) << tex;
  EXPECT_NE(tex.find("\n% Needs \\usepackage{booktabs}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("layers & 95\\% CI low & p over baseB & a\\_b \\\\"), std::string::npos) << tex;
  EXPECT_NE(tex.find("1-7 & $-$0.0900 & 3.2$\\times 10^{-7}$ & $-$0.0123 \\\\"), std::string::npos) << tex;
  EXPECT_NE(tex.find("x\\_y & -- & 0.0214 & +0.5000 \\\\"), std::string::npos) << tex;
  EXPECT_NE(tex.find("p: Welch t-test; 95\\% CI: mean $\\pm$ t $\\times$ std\\par"), std::string::npos) << tex;
  EXPECT_NE(tex.find("second note\\par"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\caption{Boost of AnB+ (top10), the paper's Table 1}"), std::string::npos) << tex;
  EXPECT_LT(tex.find("\\end{tabular}"), tex.find("second note"));  // notes under the table, inside the float
  EXPECT_LT(tex.find("second note"), tex.find("\\end{table}"));
}

TEST(Latex, NoCaptionRepeatsTheTableNumber) {
  Dataset ds;
  ds.name = "x";
  Diagnostics diag;
  for (const Table& t : all_tables({&ds}, Statistic::Top10, diag)) {
    EXPECT_EQ(t.title.rfind("Table ", 0), std::string::npos) << t.title;  // LaTeX prints "Table N:" itself
    EXPECT_NE(render(t, Format::Latex).find("\\label{tab:" + t.name + "}"), std::string::npos);
  }
}

// A small data set that fills every table, so every column and note is compiled.
Dataset filled() {
  Dataset ds;
  ds.name = "ours_1";  // an underscore in a name that reaches the headers
  auto add = [&](const std::string& id, double v) {
    NetRun r;
    r.cell_id = id;
    r.cell = *parse_cell_id(id);
    r.curve = {{1000, v}};
    ds.runs.emplace(id, r);
  };
  for (const char* id : {"half0-A-base", "half0-B-base", "half1-A-base", "natman-A-base", "natman-B-base", "all-base",
                         "all-base-k10", "all-random-n2", "half0-AB-n2-frozen", "half0-BA-n2-frozen",
                         "half0-AA-n2-frozen", "half0-AB-n5-finetune", "half0-BA-n5-finetune", "natman-AB-n3-frozen"})
    add(id, 0.5 + 0.01 * ds.runs.size());
  return ds;
}

TEST(Latex, CompilesWithPdflatex) {
  if (std::system("pdflatex --version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "pdflatex not installed: the LaTeX tables were not compiled (install texlive-latex-base "
                    "and texlive-latex-recommended for booktabs to run this test)";
  TempDir tmp;
  Dataset ours = filled(), paper = filled();
  paper.name = "paper";
  Diagnostics diag;
  std::string doc = "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n"
                    "\\begin{document}\n";
  for (const Sources& src : {Sources{&ours}, Sources{&ours, &paper}})
    for (const Table& t : all_tables(src, Statistic::Top10, diag)) doc += render(t, Format::Latex) + "\\clearpage\n";
  doc += render(sample(), Format::Latex) + "\\end{document}\n";
  write_text(tmp.path() / "tables.tex", doc);
  Outcome r = run_command("cd " + tmp.path().string() + " && pdflatex -interaction=nonstopmode -halt-on-error tables.tex");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp.path() / "tables.pdf"));
  EXPECT_EQ(r.out.find("Missing $ inserted"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace xfer
