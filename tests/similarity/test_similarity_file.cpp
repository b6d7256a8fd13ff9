// test_similarity_file.cpp: similarity.json written and read back, and every
// forged file refused in one line naming it.
#include <gtest/gtest.h>

#include <fstream>

#include "result/similarity_file.h"
#include "test_util.h"

namespace xfer {
namespace {

SimilarityFile sample() {
  SimilarityFile f;
  f.cell = "half0-AB-n3-frozen";
  f.images = {"0123456789abcdef", 2000, 250};
  const NetIdentity a{"small", 5, "aaaa", "1234abcd:1000"}, b{"small", 5, "bbbb", "init:0"};
  f.comparisons.push_back({"source_base", "half0-A-base", a, b, {{1.0, 0.5}, {0.25, -0.01}}});
  return f;
}

std::string write(const std::string& dir, const std::string& text) {
  const std::string p = dir + "/similarity.json";
  std::ofstream(p) << text;
  return p;
}

TEST(SimilarityFile, RoundTrips) {
  testing::TempDir d("similarity_file");
  const SimilarityFile f = sample();
  const SimilarityFile back = read_similarity_file(write(d.str(), similarity_to_json(f)));
  EXPECT_EQ(back.cell, f.cell);
  EXPECT_EQ(back.images, f.images);
  ASSERT_EQ(back.comparisons.size(), 1u);
  EXPECT_EQ(back.comparisons[0].net, f.comparisons[0].net);
  EXPECT_EQ(back.comparisons[0].other_net, f.comparisons[0].other_net);
  EXPECT_EQ(back.comparisons[0].cka, f.comparisons[0].cka);
  EXPECT_NE(back.find("source_base", "half0-A-base"), nullptr);
  EXPECT_EQ(back.find("target_base"), nullptr);
  EXPECT_FALSE(read_similarity_file_if_present(d.str() + "/absent.json"));
}

void expect_refused(const std::string& text, const std::string& part) {
  testing::TempDir d("similarity_file");
  const std::string p = write(d.str(), text);
  try {
    read_similarity_file(p);
    FAIL() << "accepted: " << text;
  } catch (const std::exception& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(p + ": ", 0), 0u) << m;
    EXPECT_NE(m.find(part), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = similarity_to_json(sample());
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(SimilarityFile, RefusesForgedFilesNamingThem) {
  expect_refused(with("0.25", "1.7"), "CKA 1.700000 is impossible (outside [-1, 1])");
  expect_refused(with("-0.01", "null"), "a CKA value is null");
  expect_refused(with("0.25,", ""), "rows are not arrays of one length");
  expect_refused(with("\"xfer.similarity\"", "\"xfer.result\""), "schema 'xfer.result' version 1");
  expect_refused(with("\"count\": 2000", "\"count\": 100"), "are not a sample and its minibatch");
  expect_refused(with("\"role\"", "\"rolex\""), "field 'role' is missing");
  expect_refused("{not json", "not valid JSON");
}

}  // namespace
}  // namespace xfer
