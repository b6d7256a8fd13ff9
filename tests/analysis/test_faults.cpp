// test_faults.cpp: inputs that once changed a table without a word (label
// "faults"): stale copies under .stale/, two files for one cell, diverged runs,
// NaN or non-numbers in a curve, junk after a gzip log, and bytes that are not
// UTF-8 in messages. Each must be left out and named, once, in one line.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/caffe_log.h"
#include "analysis/diagnostics.h"
#include "analysis/results_dir.h"
#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;
using nlohmann::json;

// The texts of the diagnostics that mention `needle`.
std::vector<std::string> lines_about(const Diagnostics& diag, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& d : diag.all())
    if (d.text().find(needle) != std::string::npos) out.push_back(d.text());
  return out;
}

// The one diagnostic about `file`; fails the test unless there is exactly one,
// on one line, naming the file once.
std::string the_line_about(const Diagnostics& diag, const std::string& file) {
  auto lines = lines_about(diag, file);
  EXPECT_EQ(lines.size(), 1u) << diag.report();
  if (lines.size() != 1) return "";
  EXPECT_EQ(lines[0].find('\n'), std::string::npos) << lines[0];
  EXPECT_EQ(occurrences(lines[0], file), 1u) << lines[0];
  return lines[0];
}

fs::path result_path(const fs::path& results, const std::string& id) { return results / id / "result.json"; }

// Whether the one diagnostic about the result.json of cell `id` under
// `results` says `what` (the_line_about's checks included).
::testing::AssertionResult says(const Diagnostics& diag, const fs::path& results, const std::string& id,
                                const std::string& what) {
  const std::string line = the_line_about(diag, result_path(results, id).string());
  if (line.find(what) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the line about " << id << " does not say '" << what << "': " << line;
}

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF),
// written apart from the code under test so that one checks the other.
bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    unsigned cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      unsigned b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// A run whose loss became NaN, as the trainer writes it: the last curve point
// holds the NaN, which nlohmann writes as null.
json diverged_json(const std::string& id) {
  json j = result_json(id, {0.2, 0.3});
  j["status"] = "diverged";
  j["finished"] = false;
  j["diverged"] = {{"iteration", 24}, {"what", "loss nan"}};
  j["statistic"] = json::object();
  j["curve"][1]["loss"] = NAN;
  return j;
}

// --- 1. stale folders and two files for one cell ---------------------------

TEST(FaultsStale, DotFoldersAreNotRead) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {0.6}));
  // ".stale" sorts before "half0-A-base": a reader that descends reads it first.
  write_text(tmp.path() / ".stale" / "half0-A-base-20240101" / "result.json",
             result_json("half0-A-base", {0.3}).dump());
  write_result(tmp.path() / ".other" / "deep", result_json("half0-B-base", {0.4}));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  ASSERT_EQ(ds.runs.size(), 1u) << diag.report();
  EXPECT_DOUBLE_EQ(ds.runs.at("half0-A-base").curve[0].top1, 0.6);
  EXPECT_EQ(diag.error_count(), 0);
  EXPECT_EQ(diag.skipped_count(), 0);
  EXPECT_NE(the_line_about(diag, (tmp.path() / ".stale").string()).find("hidden folder not read"), std::string::npos);
  EXPECT_TRUE(lines_about(diag, "20240101").empty()) << diag.report();  // not descended into
}

TEST(FaultsStale, IncludeHiddenReadsThem) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {0.6}));
  write_result(tmp.path() / ".stale", result_json("half0-B-base", {0.3}));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag, /*include_hidden=*/true);
  EXPECT_EQ(ds.runs.size(), 2u) << diag.report();
  EXPECT_TRUE(diag.empty()) << diag.report();
  // A results directory that is itself a dot folder is read: it was asked for.
  Diagnostics only_stale;
  EXPECT_EQ(read_results_dir(tmp.path() / ".stale", "ours", only_stale).runs.size(), 1u) << only_stale.report();
}

TEST(FaultsStale, TwoFilesForOneCellAreAnErrorNamingBoth) {
  TempDir tmp;
  fs::path a = tmp.path() / "a" / "result.json", b = tmp.path() / "b" / "result.json";
  write_text(a, result_json("half0-A-base", {0.6}).dump());
  write_text(b, result_json("half0-A-base", {0.3}).dump());
  write_result(tmp.path(), result_json("half0-B-base", {0.5}));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(diag.error_count(), 1) << diag.report();
  EXPECT_EQ(ds.runs.count("half0-A-base"), 0u);  // neither copy: which is current is unknown
  EXPECT_EQ(ds.runs.count("half0-B-base"), 1u);
  auto lines = lines_about(diag, "two result files");
  ASSERT_EQ(lines.size(), 1u) << diag.report();
  EXPECT_NE(lines[0].find(a.string()), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(b.string()), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("half0-A-base"), std::string::npos) << lines[0];
  EXPECT_NE(diag.report().find("error: "), std::string::npos);
  EXPECT_NE(diag.report().find(", 1 error(s)"), std::string::npos) << diag.report();
}

TEST(FaultsStale, AnUnfinishedCopyClashesToo) {
  TempDir tmp;
  write_text(tmp.path() / "a" / "result.json", result_json("half0-A-base", {0.6}, /*finished=*/false).dump());
  write_text(tmp.path() / "b" / "result.json", result_json("half0-A-base", {0.3}).dump());
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(diag.error_count(), 1) << diag.report();
  EXPECT_TRUE(ds.runs.empty());
  EXPECT_TRUE(ds.unfinished.empty());
}

// --- 2. diverged runs ------------------------------------------------------

TEST(FaultsDiverged, LeftOutAndNamedInOneLine) {
  TempDir tmp;
  write_result(tmp.path(), diverged_json("half0-A-base"));
  write_result(tmp.path(), result_json("half0-B-base", {0.5}));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(ds.runs.count("half0-A-base"), 0u);
  EXPECT_TRUE(ds.unfinished.empty());  // diverged is an outcome, not "still to come"
  EXPECT_EQ(ds.runs.size(), 1u);
  std::string line = the_line_about(diag, result_path(tmp.path(), "half0-A-base").string());
  EXPECT_NE(line.find("cell 'half0-A-base' diverged at iteration 24 (loss nan)"), std::string::npos) << line;
  EXPECT_EQ(diag.skipped_count(), 1);
  EXPECT_EQ(diag.all().size(), 1u) << diag.report();
}

TEST(FaultsDiverged, ReaderGivesStatusAndNoCurve) {
  TempDir tmp;
  write_result(tmp.path(), diverged_json("half0-A-base"));
  Diagnostics diag;
  auto run = read_result_file(result_path(tmp.path(), "half0-A-base"), diag);
  ASSERT_TRUE(run) << diag.report();
  EXPECT_EQ(run->status, RunStatus::Diverged);
  EXPECT_EQ(diverged_reason(*run), "diverged at iteration 24 (loss nan)");
  EXPECT_TRUE(run->curve.empty());
}

TEST(FaultsDiverged, StatusFieldAndItsAbsence) {
  TempDir tmp;
  json with_status = result_json("half0-A-base", {0.5});
  with_status["status"] = "finished";
  write_result(tmp.path(), with_status);
  write_result(tmp.path(), result_json("half0-B-base", {0.5}));  // older file: no "status"
  json contradiction = result_json("half1-A-base", {0.5});
  contradiction["status"] = "finished";
  contradiction["finished"] = false;
  write_result(tmp.path(), contradiction);
  json no_details = diverged_json("half1-B-base");
  no_details.erase("diverged");
  write_result(tmp.path(), no_details);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(ds.runs.size(), 2u) << diag.report();
  EXPECT_TRUE(says(diag, tmp.path(), "half1-A-base", "contradicts"));
  EXPECT_TRUE(says(diag, tmp.path(), "half1-B-base", "diverged (no details"));
  EXPECT_EQ(diag.skipped_count(), 2);
}

// --- 3. curve values that are not finite numbers --------------------------

TEST(FaultsCurve, NullValueIsReportedCountedAndLeftOut) {
  TempDir tmp;
  json j = result_json("half0-A-base", {0.5, 0.6, 0.7});
  j["curve"][1]["top1"] = nullptr;
  write_result(tmp.path(), j);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_TRUE(ds.runs.empty());  // not read as the mean of 0.5 and 0.7
  std::string line = the_line_about(diag, result_path(tmp.path(), "half0-A-base").string());
  EXPECT_NE(line.find("curve point 2 (iteration 2000): top1 is null"), std::string::npos) << line;
  EXPECT_EQ(diag.skipped_count(), 1);
  EXPECT_NE(diag.report().find("1 input(s) skipped"), std::string::npos);
}

TEST(FaultsCurve, NanAsTheTrainerWritesItStringsAndMissingValues) {
  TempDir tmp;
  json nan = result_json("half0-A-base", {0.5, 0.6});
  nan["curve"][0]["loss"] = NAN;  // nlohmann dumps it as null
  write_result(tmp.path(), nan);
  json str = result_json("half0-B-base", {0.5, 0.6});
  str["curve"][1]["top5"] = "0.9";
  write_result(tmp.path(), str);
  json missing = result_json("half1-A-base", {0.5, 0.6});
  missing["curve"][0].erase("top1");
  missing["curve"][1]["loss"] = nullptr;
  write_result(tmp.path(), missing);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_TRUE(ds.runs.empty()) << diag.report();
  EXPECT_TRUE(says(diag, tmp.path(), "half0-A-base", "curve point 1 (iteration 1000): loss is null"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-B-base", "top5 is a string ('0.9')"));
  EXPECT_TRUE(says(diag, tmp.path(), "half1-A-base", "top1 is missing (and 1 more bad point(s))"));
  EXPECT_EQ(diag.skipped_count(), 3);
}

TEST(FaultsCurve, NonFiniteStatisticAndOverflowingNumbers) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {1e308, 1.7e308}));  // the mean would overflow
  write_text(result_path(tmp.path(), "half0-B-base"), "{\"schema\": \"xfer.result\", \"x\": 1e999}");
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);  // must not throw
  EXPECT_TRUE(ds.runs.empty());
  EXPECT_TRUE(says(diag, tmp.path(), "half0-A-base", "top1 is 1e+308, not an accuracy in [0, 1]"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-B-base", "not valid JSON"));
  EXPECT_EQ(diag.skipped_count(), 2);
}

// Values no test can give, and curves no trainer writes: each file left out
// with one line naming the point, counted as skipped (not pooled: every top1
// at 1.7 would move baseB to 1.28 without a word).
TEST(FaultsCurve, ImpossibleValuesAndIterationsAreLeftOut) {
  TempDir tmp;
  json high = result_json("half0-A-base", {0.5, 1.7});
  write_result(tmp.path(), high);
  json low = result_json("half0-B-base", {0.5, 0.6});
  low["curve"][0]["top5"] = -0.5;
  write_result(tmp.path(), low);
  json loss = result_json("half1-A-base", {0.5, 0.6});
  loss["curve"][1]["loss"] = -1.0;
  write_result(tmp.path(), loss);
  json repeated = result_json("half1-B-base", {0.5, 0.6});
  repeated["curve"][1]["iteration"] = 1000;
  write_result(tmp.path(), repeated);
  json falling = result_json("half0-AB-n1-frozen", {0.5, 0.6, 0.7});
  falling["curve"][2]["iteration"] = 1500;
  write_result(tmp.path(), falling);
  json negative = result_json("half0-BA-n1-frozen", {0.5});
  negative["curve"][0]["iteration"] = -3;
  write_result(tmp.path(), negative);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_TRUE(ds.runs.empty()) << diag.report();
  EXPECT_TRUE(says(diag, tmp.path(), "half0-A-base", "curve point 2 (iteration 2000): top1 is 1.7, not an accuracy in [0, 1]"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-B-base", "top5 is -0.5, not an accuracy in [0, 1]"));
  EXPECT_TRUE(says(diag, tmp.path(), "half1-A-base", "loss is -1.0, below 0"));
  EXPECT_TRUE(says(diag, tmp.path(), "half1-B-base", "curve point 2 (iteration 1000): repeats an iteration"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-AB-n1-frozen", "curve point 3 (iteration 1500): comes after iteration 2000"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-BA-n1-frozen", "iteration -3 is negative"));
  EXPECT_EQ(diag.skipped_count(), 6);
}

// --- 5. every message names the file and what is wrong ---------------------

TEST(FaultsMessages, MissingOrMistypedFieldIsNamed) {
  TempDir tmp;
  json mistyped = result_json("half0-A-base", {0.5});
  mistyped["finished"] = "yes";
  write_result(tmp.path(), mistyped);
  json no_curve = result_json("half0-B-base", {0.5});
  no_curve.erase("curve");
  write_result(tmp.path(), no_curve);
  write_text(result_path(tmp.path(), "half1-A-base"), "[1, 2]");
  Diagnostics diag;
  EXPECT_TRUE(read_results_dir(tmp.path(), "ours", diag).runs.empty());
  EXPECT_TRUE(says(diag, tmp.path(), "half0-A-base", "field 'finished' is string, not a boolean"));
  EXPECT_TRUE(says(diag, tmp.path(), "half0-B-base", "field 'curve' is missing"));
  EXPECT_TRUE(says(diag, tmp.path(), "half1-A-base", "holds a JSON array"));
  EXPECT_EQ(diag.skipped_count(), 3);
}

// --- 4. Caffe logs: trailing garbage, bytes that are not UTF-8 -------------

std::string gz_bytes(const fs::path& scratch, const std::string& text) {
  fs::path p = scratch / "scratch.gz";
  write_gz(p, text);
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  fs::remove(p);
  return bytes;
}

TEST(FaultsCaffe, TrailingGarbageLeavesThatLogOut) {
  TempDir tmp;
  fs::path net = tmp.path() / "logs" / "half0A";
  fs::path junk = net / "140403_063910_half0A.o2.gz";
  write_gz(net / "140403_063910_half0A.o1.gz", test_block(1000, 0.10, "0403 07:00:00.000000"));
  write_text(junk, gz_bytes(tmp.path(), test_block(2000, 0.90, "0403 08:00:00.000000")) + "appended junk\n");
  Diagnostics diag;
  Dataset ds = read_caffe_log_dir(tmp.path() / "logs", "paper", diag);
  ASSERT_EQ(ds.runs.count("half0-A-base"), 1u) << diag.report();
  ASSERT_EQ(ds.runs.at("half0-A-base").curve.size(), 1u);  // 2000 came from the damaged file
  EXPECT_NE(the_line_about(diag, junk.string()).find("trailing garbage"), std::string::npos);
  EXPECT_EQ(diag.skipped_count(), 1);
}

// A top-1 score outside [0, 1] or a negative loss in a Caffe log: that test
// is left out with one line naming the log and the line, the others kept.
TEST(FaultsCaffe, ScoresOutsideTheirRangeAreLeftOut) {
  TempDir tmp;
  fs::path log = tmp.path() / "half0A" / "140403_063910_half0A.o1.gz";
  const std::string t = "0403 07:00:00.000000";
  write_gz(log, test_block(1000, 0.25, t) + test_block(2000, 1.7, t) + test_block(3000, -0.5, t) +
                    glog(t, "Iteration 4000, Testing net") + glog(t, "Test score #0: 0.5") +
                    glog(t, "Test score #1: -2"));
  Diagnostics diag;
  const auto tests = read_caffe_log_file(log, diag);
  ASSERT_EQ(tests.size(), 2u) << diag.report();
  EXPECT_EQ(tests[0].point.iteration, 1000);
  EXPECT_EQ(tests[1].point.iteration, 4000);
  EXPECT_TRUE(std::isnan(tests[1].point.loss));  // the negative loss is not kept
  EXPECT_EQ(diag.skipped_count(), 3) << diag.report();
  EXPECT_NE(diag.report().find("top-1 score outside [0, 1]: 'Test score #0: 1.7'"), std::string::npos) << diag.report();
  EXPECT_NE(diag.report().find("negative loss: 'Test score #1: -2'"), std::string::npos) << diag.report();
}

TEST(FaultsCaffe, ConcatenatedGzipMembersAreOneLog) {
  TempDir tmp;
  fs::path log = tmp.path() / "half0A" / "140403_063910_half0A.o1.gz";
  write_text(log, gz_bytes(tmp.path(), test_block(1000, 0.1, "0403 07:00:00.000000")) +
                      gz_bytes(tmp.path(), test_block(2000, 0.2, "0403 08:00:00.000000")));
  Diagnostics diag;
  EXPECT_EQ(read_caffe_log_file(log, diag).size(), 2u);
  EXPECT_TRUE(diag.empty()) << diag.report();
}

TEST(FaultsUtf8, PrintableEscapesWhatIsNotUtf8) {
  EXPECT_EQ(printable("na\xc3\xafve \xe2\x80\x94 \xf0\x9f\x99\x82"), "na\xc3\xafve \xe2\x80\x94 \xf0\x9f\x99\x82");
  EXPECT_EQ(printable("caf\xe9.log"), "caf\\xE9.log");          // Latin-1
  EXPECT_EQ(printable("\xc0\xaf"), "\\xC0\\xAF");                // overlong "/"
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");       // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(printable("cut \xe2\x80"), "cut \\xE2\\x80");        // a sequence cut short
  EXPECT_EQ(printable("two\nlines\r"), "two\\x0Alines\\x0D");    // one message, one line
}

TEST(FaultsUtf8, MessagesAboutRawBytesAreValidUtf8) {
  TempDir tmp;
  write_text(tmp.path() / "half0A" / "log",
             test_block(1000, 0.5, "0403 07:00:00.000000") +
                 glog("0403 08:00:00.000000", "Iteration 2\xfe\xff" "0, Testing net"));
  write_text(tmp.path() / "half\xe9" / "log", test_block(1000, 0.5, "0403 07:00:00.000000"));
  Diagnostics diag;
  read_caffe_log_dir(tmp.path(), "paper", diag);
  EXPECT_EQ(diag.skipped_count(), 2) << diag.report();
  EXPECT_TRUE(valid_utf8(diag.report())) << diag.report();
  EXPECT_TRUE(diag.mentions("Iteration 2\\xFE\\xFF0")) << diag.report();
  EXPECT_TRUE(diag.mentions("unknown network name 'half\\xE9'")) << diag.report();
}

// --- the binaries ---------------------------------------------------------

class FaultsBinaries : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(bin("xfer_tables")) || !fs::exists(bin("xfer_plot")))
      GTEST_SKIP() << "no xfer_tables / xfer_plot in XFER_BIN_DIR or beside this test";
  }
  Outcome tables(const std::string& args) {
    return run_command(bin("xfer_tables").string() + " --results '" + results.string() + "' " + args);
  }
  TempDir tmp;
  fs::path results = tmp.path() / "results";
};

// The line of `text` holding `needle`, or empty.
std::string line_with(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

TEST_F(FaultsBinaries, HelpNamesIncludeHidden) {
  EXPECT_NE(run_command(bin("xfer_tables").string() + " --help").out.find("--include-hidden"),
            std::string::npos);
  EXPECT_NE(run_command(bin("xfer_plot").string() + " --help").out.find("--include-hidden"),
            std::string::npos);
  EXPECT_EQ(run_command(bin("xfer_tables").string() + " --caffe-logs x --include-hidden").code, 2);
}

TEST_F(FaultsBinaries, StaleCopyIgnoredUnlessAskedThenAnError) {
  write_result(results, result_json("half0-A-base", {0.6}));
  write_text(results / ".stale" / "half0-A-base-1" / "result.json", result_json("half0-A-base", {0.3}).dump());
  Outcome r = tables("--format csv --table main");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(line_with(r.out, "baseB,"), "baseB,0,0.600000,,1,,") << r.out;  // one network: no interval
  Outcome both = tables("--format csv --table main --include-hidden");
  EXPECT_EQ(both.code, 1) << both.err;
  EXPECT_EQ(both.out, "");  // no table from inputs that contradict each other
  std::string line = line_with(both.err, "two result files");
  EXPECT_EQ(line.rfind("error: ", 0), 0u) << both.err;
  EXPECT_NE(line.find((results / "half0-A-base" / "result.json").string()), std::string::npos) << line;
  EXPECT_NE(line.find((results / ".stale" / "half0-A-base-1" / "result.json").string()), std::string::npos) << line;
}

TEST_F(FaultsBinaries, DuplicateCellStopsBothTools) {
  write_text(results / "a" / "result.json", result_json("half0-A-base", {0.6}).dump());
  write_text(results / "b" / "result.json", result_json("half0-A-base", {0.3}).dump());
  Outcome t = tables("");
  EXPECT_EQ(t.code, 1);
  EXPECT_EQ(t.out, "");
  std::string line = line_with(t.err, "two result files");
  EXPECT_NE(line.find((results / "a" / "result.json").string()), std::string::npos) << t.err;
  EXPECT_NE(line.find((results / "b" / "result.json").string()), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("1 error(s) in the inputs: no tables written"), std::string::npos) << t.err;
  Outcome p = run_command(bin("xfer_plot").string() + " --results '" + results.string() + "' --out '" +
                              (tmp.path() / "figs").string() + "'");
  EXPECT_EQ(p.code, 1);
  EXPECT_NE(p.err.find("two result files"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "figs" / "transfer.png"));
}

TEST_F(FaultsBinaries, DivergedAndNullValuesLeftOutAndCounted) {
  write_result(results, result_json("half0-A-base", {0.5, 0.6}));
  write_result(results, result_json("half0-B-base", {0.6, 0.7}));
  write_result(results, diverged_json("half1-A-base"));
  json null_top1 = result_json("half1-B-base", {0.9, 0.9});
  null_top1["curve"][0]["top1"] = nullptr;
  write_result(results, null_top1);
  Outcome r = tables("--format csv --table main");
  EXPECT_EQ(r.code, 0) << r.err;
  // Two networks (the diverged and the null one left out): a mean, too few for an interval.
  EXPECT_EQ(line_with(r.out, "baseB,"), "baseB,0,0.600000,0.070711,2,,") << r.out;
  std::string diverged = line_with(r.err, "half1-A-base");
  EXPECT_NE(diverged.find("diverged at iteration 24 (loss nan)"), std::string::npos) << r.err;
  EXPECT_NE(diverged.find((results / "half1-A-base" / "result.json").string()), std::string::npos) << r.err;
  EXPECT_NE(line_with(r.err, "half1-B-base").find("top1 is null"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 input(s) skipped"), std::string::npos) << r.err;
}

TEST_F(FaultsBinaries, StderrIsValidUtf8WhateverThePathHolds) {
  write_result(results, result_json("half0-A-base", {0.5}));
  write_text(results / "caf\xe9" / "result.json", "{ not json \xff");
  Outcome r = tables("");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(valid_utf8(r.err)) << r.err;
  EXPECT_NE(r.err.find("caf\\xE9/result.json: not valid JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace xfer
