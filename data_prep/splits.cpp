// splits.cpp: the class splits of splits.h.
#include "data_prep/splits.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>

#include "core/cli.h"  // trim
#include "data_prep/numpy_mt19937.h"
#include "io/atomic_file.h"

namespace xfer {

namespace {

std::vector<int> complement(const std::vector<int>& a, int n) {
  std::vector<char> in(static_cast<size_t>(n), 0);
  for (int c : a) in[static_cast<size_t>(c)] = 1;
  std::vector<int> b;
  for (int c = 0; c < n; ++c)
    if (!in[static_cast<size_t>(c)]) b.push_back(c);
  return b;
}

using cli::trim;

}  // namespace

SplitDef two_halves(const std::string& name, std::vector<int32_t> a, std::vector<int32_t> b) {
  SplitDef d;
  d.name = name;
  d.views.push_back({name + "A", std::move(a), 0});
  d.views.push_back({name + "B", std::move(b), 0});
  return d;
}

SplitDef random_halves(int seed, int num_classes, int size_a) {
  if (num_classes < 2) throw std::invalid_argument("random_halves: need at least 2 classes");
  if (seed < 0) throw std::invalid_argument("random_halves: seed must be >= 0");
  if (size_a < 0) size_a = num_classes / 2;
  if (size_a < 1 || size_a >= num_classes)
    throw std::invalid_argument("random_halves: half A size must be in [1, num_classes)");
  NumpyMT19937 rng({static_cast<uint32_t>(seed)});
  std::vector<int> perm = rng.permutation(num_classes);
  std::vector<int> a(perm.begin(), perm.begin() + size_a);
  std::sort(a.begin(), a.end());
  std::vector<int> b = complement(a, num_classes);
  return two_halves("half" + std::to_string(seed), std::move(a), std::move(b));
}

SplitDef natman_split() {
  std::vector<int> a;
  auto add = [&](int lo, int hi) {
    for (int c = lo; c <= hi; ++c) a.push_back(c);
  };
  add(0, 397);
  add(936, 958);
  add(970, 970);
  add(972, 998);
  std::vector<int> b = complement(a, 1000);
  return two_halves("natman", std::move(a), std::move(b));
}

SplitDef fmnist_dissim_split() { return two_halves("dissim", {0, 2, 3, 4, 6}, {1, 5, 7, 8, 9}); }

std::vector<int> read_class_list(const std::string& path,
                                 const std::vector<std::string>& class_names) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open class-list file");
  std::vector<int> out;
  std::string line;
  int lineno = 0;
  const int n = static_cast<int>(class_names.size());
  while (std::getline(in, line)) {
    ++lineno;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty()) continue;
    int idx = -1;
    if (std::all_of(line.begin(), line.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      idx = line.size() > 9 ? -1 : std::stoi(line);
      if (idx < 0 || idx >= n)
        throw std::runtime_error(path + ":" + std::to_string(lineno) + ": class index " + line +
                                 " out of range [0, " + std::to_string(n) + ")");
    } else {
      auto it = std::find(class_names.begin(), class_names.end(), line);
      if (it == class_names.end())
        throw std::runtime_error(path + ":" + std::to_string(lineno) + ": unknown class '" +
                                 line + "'");
      idx = static_cast<int>(it - class_names.begin());
    }
    out.push_back(idx);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw std::runtime_error(path + ": a class is listed twice");
  if (out.empty()) throw std::runtime_error(path + ": empty class list");
  return out;
}

SplitDef split_from_files(const std::string& name, const std::string& file_a,
                          const std::string& file_b,
                          const std::vector<std::string>& class_names) {
  std::vector<int> first = read_class_list(file_a, class_names);  // A's problems are named first
  SplitDef s = two_halves(name, std::move(first), read_class_list(file_b, class_names));
  const std::vector<int>& a = s.views[0].class_ids;
  const std::vector<int>& b = s.views[1].class_ids;
  std::vector<int> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  if (!both.empty())
    throw std::runtime_error(file_a + " and " + file_b + ": class " + std::to_string(both[0]) +
                             " is in both halves");
  return s;
}

void write_class_list(const std::string& path, const std::vector<int>& classes) {
  std::string text;
  for (int c : classes) text += std::to_string(c) + '\n';
  write_file_atomic(path, text);
}

}  // namespace xfer
