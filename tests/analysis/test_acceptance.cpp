// test_acceptance.cpp: on the paper's own logs (../shared/paper/logs) the
// tables show what the paper reported, to 4 decimals.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/caffe_log.h"
#include "analysis/groups.h"
#include "analysis/tables.h"
#include "fixtures.h"

namespace xfer {
namespace {

namespace fs = std::filesystem;

class PaperLogs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::path logs = xfer::testing::paper_logs();
    if (logs.empty()) return;
    data_ = new Dataset(read_caffe_log_dir(logs, "paper", *diag_));
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  void SetUp() override {
    if (!data_) GTEST_SKIP() << "../shared/paper/logs not found next to the project (XFER_SOURCE_DIR): "
                                "the acceptance test needs the paper's logs";
  }
  // The entry of `column` in the row whose leading labels are `labels`.
  static double at(const Table& t, const std::vector<std::string>& labels, size_t column) {
    for (const auto& row : t.rows) {
      bool ok = true;
      for (size_t i = 0; i < labels.size(); ++i) {
        const Entry& e = row[i];
        ok &= (e.kind == Entry::Kind::Text ? e.text : std::to_string(static_cast<int>(e.number))) == labels[i];
      }
      if (ok) return row[column].kind == Entry::Kind::Missing ? NAN : row[column].number;
    }
    return NAN;
  }
  // A table of the paper's logs by the paper's statistic (mean of the 10 best tests).
  static Table paper(Table (*make)(const Sources&, Statistic, Diagnostics&)) {
    Diagnostics diag;
    return make({data_}, Statistic::Top10, diag);
  }
  static int count(const Table& t, const std::vector<std::string>& labels, size_t column) {
    return static_cast<int>(at(t, labels, column));
  }
  static inline Dataset* data_ = nullptr;
  static inline Diagnostics* diag_ = new Diagnostics;
};

// The paper's numbers are given to 4 decimals.
#define EXPECT_4DP(actual, expected) EXPECT_NEAR(actual, expected, 0.00005 + 1e-9)

TEST_F(PaperLogs, ReadsAll148Networks) {
  EXPECT_EQ(data_->runs.size(), 148u);
  EXPECT_EQ(diag_->skipped_count(), 0) << diag_->report();
}

TEST_F(PaperLogs, MainFigure) {
  Table t = paper(main_table);
  EXPECT_4DP(at(t, {"baseB", "0"}, 2), 0.6251);
  EXPECT_EQ(count(t, {"baseB", "0"}, 4), 8);
  const double anb[] = {.6282, .6239, .6189, .5998, .5780, .5806, .5425};
  const double bnb[] = {.6267, .6235, .6211, .6048, .5935, .6188, .6232};
  for (int n = 1; n <= 7; ++n) {
    SCOPED_TRACE("n = " + std::to_string(n));
    EXPECT_4DP(at(t, {"AnB", std::to_string(n)}, 2), anb[n - 1]);
    EXPECT_4DP(at(t, {"BnB", std::to_string(n)}, 2), bnb[n - 1]);
    EXPECT_EQ(count(t, {"AnB", std::to_string(n)}, 4), 8);
    EXPECT_EQ(count(t, {"BnB", std::to_string(n)}, 4), 4);
  }
  // 22 fine-tuned nets of the paper have no logs: the real counts show.
  int plus = 0;
  for (int n = 1; n <= 7; ++n)
    plus += count(t, {"AnB+", std::to_string(n)}, 4) + count(t, {"BnB+", std::to_string(n)}, 4);
  EXPECT_EQ(plus, 20);
}

TEST_F(PaperLogs, Table1Boosts) {
  Table t = paper(boost_table);
  EXPECT_4DP(at(t, {"1-7"}, 3), 0.0160);
  EXPECT_4DP(at(t, {"1-7"}, 4), 0.0138);
  EXPECT_4DP(at(t, {"3-7"}, 3), 0.0180);
  EXPECT_4DP(at(t, {"3-7"}, 4), 0.0140);
  EXPECT_4DP(at(t, {"5-7"}, 3), 0.0206);
  EXPECT_4DP(at(t, {"5-7"}, 4), 0.0173);
}

TEST_F(PaperLogs, IntervalsAndPairedTests) {
  Table t = paper(main_table);
  // baseB: 8 bases, std 0.0055: half-width t(0.975, 7) 2.3646 * 0.0055 / sqrt(8) = 0.0046.
  EXPECT_NEAR(at(t, {"baseB", "0"}, 5), 0.6251 - 0.0046, 0.0001);
  EXPECT_NEAR(at(t, {"baseB", "0"}, 6), 0.6251 + 0.0046, 0.0001);
  EXPECT_TRUE(std::isnan(at(t, {"AnB+", "1"}, 5)));  // one network, no interval
  // Table 1 by target task: the released AnB+ networks (10 for layers 1-7)
  // are transfers into two target tasks only, and never share a target and
  // an n with a BnB+ network: too few units to test either boost (a pooled
  // Welch test of the networks gave p < 0.001 for both).
  Table b = paper(boost_table);
  for (const char* range : {"1-7", "3-7", "5-7"}) {
    EXPECT_TRUE(std::isnan(at(b, {range}, 8))) << range;
    EXPECT_TRUE(std::isnan(at(b, {range}, 9))) << range;
    EXPECT_LE(at(b, {range}, 10), 2) << range;
    EXPECT_EQ(at(b, {range}, 12), 0) << range;
  }
  EXPECT_EQ(at(b, {"1-7"}, 10), 2);
  // Paired over the four target tasks of the selffers: co-adaptation is the
  // larger cause at n = 5 (p < 0.001), specificity at n = 7.
  Table d = paper(decomposition_table);
  EXPECT_LT(at(d, {"5"}, 4), 0.001);
  EXPECT_GT(at(d, {"7"}, 4), 0.05);
  EXPECT_LT(at(d, {"7"}, 5), 0.001);
}

TEST_F(PaperLogs, NaturalManMadeBases) {
  Table t = paper(dissimilar_table);
  EXPECT_4DP(at(t, {"natman", "natural", "base", "0"}, 4), 0.6534);
  EXPECT_4DP(at(t, {"natman", "man-made", "base", "0"}, 4), 0.5372);
  for (int n = 1; n <= 7; ++n) {
    EXPECT_EQ(count(t, {"natman", "natural", "AnB", std::to_string(n)}, 6), 1);
    EXPECT_EQ(count(t, {"natman", "man-made", "AnB", std::to_string(n)}, 6), 1);
  }
}

TEST_F(PaperLogs, RandomFilters) {
  Table t = paper(random_table);
  EXPECT_4DP(at(t, {"all", "base", "0"}, 3), 0.5763);
  const double rnd[] = {.4917, .4026, .0011, .0191, .0499, .0145, .0146};
  for (int n = 1; n <= 7; ++n) EXPECT_4DP(at(t, {"all", "random", std::to_string(n)}, 3), rnd[n - 1]) << n;
}

TEST_F(PaperLogs, DecompositionAddsUp) {
  Table t = paper(decomposition_table);
  // n = 5: co-adaptation .6251 - .5935, specificity .5935 - .5780.
  EXPECT_NEAR(at(t, {"5"}, 1), 0.6251 - 0.5935, 0.0001);
  EXPECT_NEAR(at(t, {"5"}, 2), 0.5935 - 0.5780, 0.0001);
  for (int n = 1; n <= 7; ++n)
    EXPECT_NEAR(at(t, {std::to_string(n)}, 1) + at(t, {std::to_string(n)}, 2), at(t, {std::to_string(n)}, 3), 1e-12);
}

TEST_F(PaperLogs, RelativePanelSubtractsTheBases) {
  Table t = paper(relative_table);
  EXPECT_NEAR(at(t, {"random", "7"}, 2), 0.5425 - 0.6251, 0.0001);
  EXPECT_NEAR(at(t, {"natman", "1"}, 2), ((0.6571 - 0.6534) + (0.5392 - 0.5372)) / 2, 0.0001);
  EXPECT_NEAR(at(t, {"random filters", "1"}, 2), 0.4917 - 0.5763, 0.0001);
  EXPECT_NEAR(at(t, {"random filters", "3"}, 2), 0.0011 - 0.5763, 0.0001);
}

}  // namespace
}  // namespace xfer
