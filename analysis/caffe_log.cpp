// caffe_log.cpp: parsing glog lines of Caffe's solver, merging restarted runs.
#include "analysis/caffe_log.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>

#include "analysis/release_names.h"

namespace xfer {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a fixed number of digits at `pos`; -1 when they are not all digits.
long digits(std::string_view s, size_t pos, size_t count) {
  if (pos + count > s.size()) return -1;
  long v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// The glog header "I0403 07:15:12.972617 23304 solver.cpp:217] ": fills
// month..micro and returns the offset of the message, or npos.
struct Stamp {
  long month, day, hour, minute, second, micro;
};
size_t parse_header(std::string_view line, Stamp& st) {
  if (line.size() < 22 || std::string_view("IWEF").find(line[0]) == std::string_view::npos)
    return std::string_view::npos;
  st.month = digits(line, 1, 2);
  st.day = digits(line, 3, 2);
  st.hour = digits(line, 6, 2);
  st.minute = digits(line, 9, 2);
  st.second = digits(line, 12, 2);
  st.micro = digits(line, 15, 6);
  if (st.month < 1 || st.month > 12 || st.day < 1 || st.day > 31 || st.hour < 0 ||
      st.minute < 0 || st.second < 0 || st.micro < 0 || line[5] != ' ' || line[8] != ':' ||
      line[11] != ':' || line[14] != '.' || line[21] != ' ')
    return std::string_view::npos;
  size_t close = line.find("] ", 22);
  return close == std::string_view::npos ? close : close + 2;
}

// The whole of `s` as a number of type T.
template <class T>
bool whole_number(std::string_view s, T& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// The year of a release file name "140403_063910_half0A.o227963.gz", or 0.
long year_of_file(const std::string& name) {
  std::string base = std::filesystem::path(name).filename().string();
  long yy = digits(base, 0, 2);
  if (yy < 0 || digits(base, 0, 6) < 0 || base.size() < 7 || base[6] != '_') return 0;
  return 2000 + yy;
}

long long make_stamp(long year, const Stamp& s) {
  // Days are counted as if every month had 31 days: monotone, which is all
  // the comparison needs, and it stays within 64 bits.
  long long days = year * 372LL + (s.month - 1) * 31 + (s.day - 1);
  long long secs = days * 86400 + s.hour * 3600 + s.minute * 60 + s.second;
  return secs * 1000000 + s.micro;
}

// The parser's state across lines: the open test (its "Testing net" line
// seen, its top-1 not yet), the last test that may still take its loss, and
// the calendar year, which the log's headers leave out.
struct LogParser {
  std::string name;
  Diagnostics& diag;
  std::vector<TimedTest> tests{};
  long year = 0;
  long last_month = 0;
  long pending = -1;       // iteration of the last "Testing net" without its top-1 yet
  long pending_line = 0;
  bool have_open = false;  // tests.back() may still receive its loss
  long line_no = 0;

  void read_line(std::string_view line);
  void iteration_line(std::string_view msg);
  void score_line(std::string_view msg, const Stamp& st);
};

void LogParser::read_line(std::string_view line) {
  ++line_no;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  bool about_us = line.find("Iteration") != std::string_view::npos ||
                  line.find("Test score") != std::string_view::npos;
  Stamp st{};
  size_t msg_at = parse_header(line, st);
  if (msg_at == std::string_view::npos) {
    // A line cut inside its header still starts like one.
    bool header_like = line.size() >= 2 && std::string_view("IWEF").find(line[0]) !=
                                               std::string_view::npos && is_digit(line[1]);
    if (about_us || header_like)
      diag.skip(name, line_no, "garbled or truncated log line: '" + std::string(line.substr(0, 80)) + "'");
    return;
  }
  std::string_view msg = line.substr(msg_at);
  if (msg.rfind("Iteration ", 0) == 0) iteration_line(msg);
  else if (msg.rfind("Test score #", 0) == 0) score_line(msg, st);
}

void LogParser::iteration_line(std::string_view msg) {
  std::string_view rest = msg.substr(10);
  size_t comma = rest.find(", ");
  long it = 0;
  if (comma == std::string_view::npos || !whole_number(rest.substr(0, comma), it) || it < 0) {
    diag.skip(name, line_no, "garbled iteration line: '" + std::string(msg) + "'");
    return;
  }
  std::string_view what = rest.substr(comma + 2);
  if (what == "Testing net") {
    if (pending >= 0)
      diag.warn(name, pending_line, "test at iteration " + std::to_string(pending) + " has no top-1 score");
    pending = it;
    pending_line = line_no;
    have_open = false;
  } else if (what.rfind("lr = ", 0) != 0 && what.rfind("loss = ", 0) != 0) {
    diag.skip(name, line_no, "garbled iteration line: '" + std::string(msg) + "'");
  }
}

void LogParser::score_line(std::string_view msg, const Stamp& st) {
  std::string_view rest = msg.substr(12);
  size_t colon = rest.find(": ");
  int k = -1;
  double v = 0;
  if (colon == std::string_view::npos || !whole_number(rest.substr(0, colon), k) ||
      !whole_number(rest.substr(colon + 2), v) || !std::isfinite(v)) {
    diag.skip(name, line_no, "garbled test score line: '" + std::string(msg) + "'");
    return;
  }
  // Score #0 is the top-1 accuracy, #1 the loss: values outside [0, 1] and
  // below 0 cannot have been measured.
  if ((k == 0 && (v < 0 || v > 1)) || (k == 1 && v < 0)) {
    diag.skip(name, line_no, std::string(k == 0 ? "top-1 score outside [0, 1]" : "negative loss") + ": '" +
                                 std::string(msg) + "'");
    if (k == 0) pending = -1;
    return;
  }
  if (k == 0) {
    if (pending < 0) {
      diag.skip(name, line_no, "top-1 score without a preceding 'Testing net' line");
      return;
    }
    if (last_month && st.month < last_month && year) ++year;  // new year's eve
    last_month = st.month;
    TimedTest t;
    t.point.iteration = pending;
    t.point.top1 = v;
    t.stamp = make_stamp(year, st);
    tests.push_back(t);
    pending = -1;
    have_open = true;
  } else if (k == 1 && have_open) {
    tests.back().point.loss = v;
    have_open = false;
  }
}

}  // namespace

std::vector<TimedTest> parse_caffe_log(std::string_view text, const std::string& name,
                                       Diagnostics& diag) {
  LogParser p{name, diag};
  p.year = year_of_file(name);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    p.read_line(text.substr(pos, end - pos));
    pos = end + 1;
  }
  if (p.pending >= 0)
    diag.warn(name, p.pending_line,
              "test at iteration " + std::to_string(p.pending) + " has no top-1 score (log ends)");
  return std::move(p.tests);
}

namespace {

bool is_gzip(std::string_view b) { return b.size() >= 2 && b[0] == '\x1f' && b[1] == '\x8b'; }

// Inflates the gzip member at the start of `in` onto `out`; returns the bytes
// it took. `error` is set where the member is damaged or cut short.
size_t inflate_member(std::string_view in, std::string& out, std::string& error) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {  // 16: gzip wrapper only
    error = "cannot start zlib";
    return 0;
  }
  size_t fed = 0;  // zlib counts in 32 bits: the input goes in slices
  char buf[1 << 16];
  int ret = Z_OK;
  while (ret == Z_OK) {
    if (zs.avail_in == 0 && fed < in.size()) {
      size_t slice = std::min<size_t>(in.size() - fed, 1u << 30);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
      zs.avail_in = static_cast<uInt>(slice);
      fed += slice;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  if (ret == Z_BUF_ERROR && zs.avail_in == 0) error = "unexpected end of file";
  else if (ret != Z_STREAM_END) error = zs.msg ? zs.msg : zError(ret);
  size_t used = fed - zs.avail_in;
  inflateEnd(&zs);
  return used;
}

// A log's text: plain files as they are, gzip ones decompressed member by
// member (gzip -c a >> log is a valid log). Decompressed by hand, not with
// gzread, because gzread stops silently at bytes after the last member.
struct LogText {
  std::string text;
  std::string error;    // damaged or cut short: `text` holds what came before
  size_t trailing = 0;  // bytes after the last gzip member that are no member
};

LogText decompress(std::string_view bytes) {
  LogText t;
  if (!is_gzip(bytes)) {
    t.text = bytes;
    return t;
  }
  size_t pos = 0;
  while (pos < bytes.size() && t.error.empty()) {
    std::string_view rest = bytes.substr(pos);
    if (!is_gzip(rest)) {
      t.trailing = rest.size();
      break;
    }
    pos += inflate_member(rest, t.text, t.error);
  }
  return t;
}

}  // namespace

std::vector<TimedTest> read_caffe_log_file(const std::filesystem::path& file, Diagnostics& diag) {
  std::string name = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diag.skip(name, 0, "cannot open");
    return {};
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  LogText log = decompress(bytes);
  // Junk after the data means the file was damaged or written to by something
  // else: no part of it is trusted (as gzip -t says, "trailing garbage").
  if (log.trailing) {
    diag.skip(name, 0, "trailing garbage: " + std::to_string(log.trailing) + " byte(s) after the gzip data");
    return {};
  }
  if (!log.error.empty()) {
    diag.warn(name, 0, "read error (" + log.error + "), using the lines before it");
    // A cut-off last line is not a line: drop it rather than parse half of it.
    size_t last = log.text.rfind('\n');
    log.text.resize(last == std::string::npos ? 0 : last + 1);
  }
  return parse_caffe_log(log.text, name, diag);
}

std::vector<CurvePoint> merge_caffe_tests(const std::vector<std::vector<TimedTest>>& files) {
  std::map<long, TimedTest> by_iteration;
  for (const auto& f : files)
    for (const auto& t : f) {
      auto [it, fresh] = by_iteration.try_emplace(t.point.iteration, t);
      if (!fresh && t.stamp > it->second.stamp) it->second = t;
    }
  std::vector<CurvePoint> curve;
  curve.reserve(by_iteration.size());
  for (const auto& [iter, t] : by_iteration) curve.push_back(t.point);
  return curve;
}

Dataset read_caffe_log_dir(const std::filesystem::path& dir, const std::string& dataset_name,
                           Diagnostics& diag) {
  namespace fs = std::filesystem;
  Dataset ds;
  ds.name = dataset_name;
  if (!folder_or_error(dir, "directory of Caffe logs", diag)) return ds;
  std::error_code ec;
  std::vector<fs::path> nets;
  int loose = 0;  // log files directly under dir: which network is not knowable
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) nets.push_back(e.path());
    else if (e.is_regular_file()) ++loose;
  }
  if (loose)
    diag.skip(dir.string(), 0, std::to_string(loose) + " file(s) directly in it ignored: expected one folder "
                                                        "per network, named as in the release (e.g. half0A/)");
  std::sort(nets.begin(), nets.end());
  if (nets.empty()) diag.warn(dir.string(), 0, "empty: no network folders");
  for (const auto& net_dir : nets) {
    std::string net = net_dir.filename().string();
    auto id = cell_id_for_release_net(net);
    if (!id) {
      diag.skip(net_dir.string(), 0, "unknown network name '" + net + "'");
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(net_dir, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<std::vector<TimedTest>> parsed;
    for (const auto& f : files) parsed.push_back(read_caffe_log_file(f, diag));
    NetRun run;
    run.cell_id = *id;
    run.status = RunStatus::Finished;
    run.cell = *parse_cell_id(*id);
    run.origin = net_dir.string();
    run.curve = merge_caffe_tests(parsed);
    if (run.curve.empty()) {
      diag.skip(net_dir.string(), 0, files.empty() ? "empty: no log files" : "no test scores in its logs");
      continue;
    }
    ds.runs.emplace(run.cell_id, std::move(run));
  }
  return ds;
}

}  // namespace xfer
