// caffe_log.h: reading the paper's Caffe (glog) training logs.
//
// A log holds, per validation test, `Iteration N, Testing net` followed by
// `Test score #0: <top-1>` and `Test score #1: <loss>`. A network trained in
// several jobs has several files (plain or .gz) in its folder; where two of
// them report the same iteration, the one with the later timestamp wins.
// glog stamps carry no year: it is taken from a file name that starts with
// yymmdd_ (the release's), and advanced where the month goes backwards.
#pragma once

#include <filesystem>
#include <string_view>
#include <string>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/run.h"

namespace xfer {

// One test as a file reported it, with the time of its top-1 line.
struct TimedTest {
  CurvePoint point;
  long long stamp = 0;  // sortable: yyyymmddhhmmss * 1e6 + microseconds
};

// Parses the text of one log. `name` is used in messages and for the year. Lines that are
// about iterations or test scores but do not parse (truncated, garbled) are
// reported with their line number and skipped; other lines are ignored.
std::vector<TimedTest> parse_caffe_log(std::string_view text, const std::string& name,
                                       Diagnostics& diag);

// Reads a file, plain or gzip-compressed (by content, not name; several gzip
// members are one log). A read error (e.g. a truncated .gz) is reported; the
// lines read before it are kept. Bytes after the last gzip member ("trailing
// garbage") leave the whole file out, reported: it was damaged or appended to.
std::vector<TimedTest> read_caffe_log_file(const std::filesystem::path& file, Diagnostics& diag);

// Merges the tests of several files of one network: one point per iteration,
// the latest stamp winning, ascending iteration.
std::vector<CurvePoint> merge_caffe_tests(const std::vector<std::vector<TimedTest>>& files);

// Reads a release-style folder: one subfolder per network, named as in the
// release, holding that network's log files. Unknown names, empty folders and
// networks without any test are reported and skipped.
Dataset read_caffe_log_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                           Diagnostics& diag);

}  // namespace xfer
