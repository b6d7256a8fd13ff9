// split_def.cpp: reading split definitions (split_def.h).
#include "data_prep/split_def.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/cli.h"
#include "core/names.h"
#include "data_prep/splits.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

using cli::trim;

std::runtime_error bad(const std::string& where, const std::string& what) {
  return std::runtime_error(where + ": " + what);
}

// Positions in the store's class order -> dataset labels, ascending.
std::vector<int> labels_of(const std::vector<int>& positions, const StoreClasses& store) {
  std::vector<int> out;
  for (int p : positions) out.push_back(store.class_ids[static_cast<size_t>(p)]);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> every_position(const StoreClasses& store) {
  std::vector<int> all(store.class_ids.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return all;
}

// One class reference: a class's whole name (a folder name, even "10" or
// "2-3"), else a dataset label, else the first word of exactly one name
// (ImageNet's names begin with the WNID). Returns the store position.
int find_class(const std::string& ref, const StoreClasses& store, const std::string& where) {
  for (size_t i = 0; i < store.class_names.size(); ++i)
    if (store.class_names[i] == ref) return static_cast<int>(i);
  if (!ref.empty() && std::all_of(ref.begin(), ref.end(), ::isdigit)) {
    if (ref.size() < 10)
      for (size_t i = 0; i < store.class_ids.size(); ++i)
        if (store.class_ids[i] == std::stoi(ref)) return static_cast<int>(i);
    throw bad(where, "class " + ref + " is not in the store (it has " +
                         std::to_string(store.class_ids.size()) + " classes)");
  }
  int found = -1;
  for (size_t i = 0; i < store.class_names.size(); ++i) {
    const std::string& n = store.class_names[i];
    if (n.substr(0, n.find(' ')) != ref) continue;
    if (found >= 0)
      throw bad(where, "class '" + ref + "' is ambiguous (" + store.class_names[static_cast<size_t>(found)] +
                           ", " + n + "); give the whole name");
    found = static_cast<int>(i);
  }
  if (found < 0) throw bad(where, "class '" + ref + "' is not in the store");
  return found;
}

// "0-397, 936, n01440764, Ankle boot" -> store positions, each once.
std::vector<int> parse_classes(const std::string& list, const StoreClasses& store,
                               const std::string& where, const std::string& key) {
  static const std::regex range(R"((\d{1,9})-(\d{1,9}))");
  std::vector<int> out;
  for (const std::string& item : cli::parse_string_list(list)) {
    std::smatch m;
    const bool is_name = std::find(store.class_names.begin(), store.class_names.end(), item) != store.class_names.end();
    if (!is_name && std::regex_match(item, m, range)) {
      const int lo = std::stoi(m[1]), hi = std::stoi(m[2]);
      if (lo > hi) throw bad(where, key + ": descending range " + item);
      for (int c = lo; c <= hi; ++c) out.push_back(find_class(std::to_string(c), store, where));
    } else {
      out.push_back(find_class(item, store, where));
    }
  }
  std::set<int> seen;
  for (int p : out)
    if (!seen.insert(p).second)
      throw bad(where, key + " names class " + store.class_names[static_cast<size_t>(p)] + " twice");
  return out;
}

// Editors on Windows start UTF-8 files with a byte-order mark: it is not
// part of the first key or class name.
void drop_byte_order_mark(std::string& line, int lineno) {
  if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
}

// The mapping file of `groups`: class -> group.
std::map<int, std::string> read_groups(const std::string& path, const StoreClasses& store) {
  std::ifstream in(path);
  if (!in) throw bad(path, "cannot open the group mapping file");
  std::map<int, std::string> group_of;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    drop_byte_order_mark(line, lineno);
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    const auto cut = line.find_last_of(" \t");
    if (cut == std::string::npos) throw bad(where, "expected 'class group'");
    const int c = find_class(trim(line.substr(0, cut)), store, where);
    if (!group_of.emplace(c, line.substr(cut + 1)).second)
      throw bad(where, "class " + store.class_names[static_cast<size_t>(c)] + " is mapped twice");
  }
  return group_of;
}

// "g1, g2" -> the store positions of every class in those groups.
std::vector<int> classes_in_groups(const std::string& list, const std::map<int, std::string>& group_of,
                                   const std::string& where, const std::string& map_path) {
  std::vector<int> out;
  for (const std::string& g : cli::parse_string_list(list)) {
    size_t found = 0;
    for (const auto& [c, name] : group_of)
      if (name == g) out.push_back(c), ++found;
    if (!found) throw bad(where, "group '" + g + "' is not in " + map_path);
  }
  return out;
}

using Keys = std::map<std::string, std::string>;

Keys read_keys(const std::string& path, std::string& text) {
  std::ifstream in(path);
  if (!in) throw bad(path, "cannot open the split definition");
  static const std::set<std::string> known{"random", "size_a", "A", "B", "groups",
                                           "complete", "per_class", "classes"};
  Keys keys;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    drop_byte_order_mark(line, lineno);
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    line = trim(line);
    if (line.empty() || line == "[split]") continue;
    const std::string where = path + ":" + std::to_string(lineno);
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw bad(where, "expected 'key = value'");
    const std::string key = trim(line.substr(0, eq));
    if (!known.count(key)) throw bad(where, "unknown key '" + key + "'");
    if (!keys.emplace(key, trim(line.substr(eq + 1))).second) throw bad(where, key + " given twice");
    text += key + " = " + keys[key] + "\n";
  }
  return keys;
}

int positive_int(const Keys& k, const std::string& key, const std::string& where) {
  const std::vector<int> v = cli::parse_int_list(k.at(key), where + ": " + key);
  if (v.size() != 1 || v[0] < 0) throw bad(where, key + " must be one integer >= 0");
  return v[0];
}

// A and B from lists or groups, checked to be disjoint and (unless
// complete = false) to cover every class.
void explicit_halves(const Keys& k, const std::string& path, const StoreClasses& store,
                     std::vector<int>& a, std::vector<int>& b) {
  if (!k.count("A") || !k.count("B")) throw bad(path, "give both A and B (B may be 'rest')");
  std::map<int, std::string> group_of;
  std::string map_path;
  if (k.count("groups")) {
    map_path = (fs::path(path).parent_path() / k.at("groups")).string();
    group_of = read_groups(map_path, store);
  }
  auto side = [&](const std::string& key) {
    return map_path.empty() ? parse_classes(k.at(key), store, path, key)
                            : classes_in_groups(k.at(key), group_of, path, map_path);
  };
  a = side("A");
  if (k.at("B") == "rest") {
    for (int p : every_position(store))
      if (std::find(a.begin(), a.end(), p) == a.end()) b.push_back(p);
  } else {
    b = side("B");
  }
  for (int p : a)
    if (std::find(b.begin(), b.end(), p) != b.end())
      throw bad(path, "class " + store.class_names[static_cast<size_t>(p)] + " is in both A and B");
  if (a.empty() || b.empty()) throw bad(path, std::string(a.empty() ? "A" : "B") + " has no class");
  const std::string complete = k.count("complete") ? k.at("complete") : "true";
  if (complete != "true" && complete != "false") throw bad(path, "complete must be true or false");
  if (complete == "true")
    for (int p : every_position(store))
      if (std::find(a.begin(), a.end(), p) == a.end() && std::find(b.begin(), b.end(), p) == b.end())
        throw bad(path, "class " + store.class_names[static_cast<size_t>(p)] +
                            " is in neither A nor B (complete = false allows that)");
}

// Halves A and B of store positions `a` and `b`, as the store's labels.
SplitDef halves(const std::string& name, const std::string& text, const std::vector<int>& a,
                const std::vector<int>& b, const StoreClasses& store) {
  SplitDef d = two_halves(name, labels_of(a, store), labels_of(b, store));
  d.text = text;
  return d;
}

// A split of store positions (random_halves, natman_split, ...) as the store's labels.
SplitDef on_store(const SplitDef& s, const std::string& text, const StoreClasses& store) {
  return halves(s.name, text, s.views[0].class_ids, s.views[1].class_ids, store);
}

}  // namespace

SplitDef read_split_file(const std::string& path, const StoreClasses& store) {
  SplitDef d;
  d.name = fs::path(path).stem().string();
  const Keys k = read_keys(path, d.text);
  const bool random = k.count("random"), lists = k.count("A") || k.count("B") || k.count("groups"),
             reduced = k.count("per_class");
  if (random + lists + reduced != 1)
    throw bad(path, "give exactly one of: random = SEED; A and B (lists or groups); per_class = K");
  if (k.count("size_a") && !random) throw bad(path, "size_a goes with random");
  if (k.count("classes") && !reduced) throw bad(path, "classes goes with per_class");
  if (k.count("complete") && !lists) throw bad(path, "complete goes with A and B");
  if (random) {
    const int n = static_cast<int>(store.class_ids.size());
    const int size_a = k.count("size_a") ? positive_int(k, "size_a", path) : -1;
    if (n < 2 || (size_a >= 0 && (size_a < 1 || size_a >= n)))
      throw bad(path, "random halves need 2 classes or more and 1 <= size_a < " + std::to_string(n));
    const SplitDef s = random_halves(positive_int(k, "random", path), n, size_a);
    return halves(d.name, d.text, s.views[0].class_ids, s.views[1].class_ids, store);
  }
  if (reduced) {
    const int per_class = positive_int(k, "per_class", path);
    if (per_class < 1) throw bad(path, "per_class must be 1 or more");
    const std::vector<int> classes =
        k.count("classes") ? parse_classes(k.at("classes"), store, path, "classes") : every_position(store);
    d.views.push_back({d.name, labels_of(classes, store), per_class});
    return d;
  }
  std::vector<int> a, b;
  explicit_halves(k, path, store, a, b);
  return halves(d.name, d.text, a, b, store);
}

SplitDef builtin_split(const std::string& name, const StoreClasses& store) {
  static const std::regex half_re(R"(half(\d{1,6}))"), reduced_re(R"(all-k(\d{1,7}))");
  const int n = static_cast<int>(store.class_ids.size());
  std::smatch m;
  if (std::regex_match(name, m, half_re)) {
    if (n < 2) throw std::runtime_error("split " + name + ": random halves need 2 classes or more, the store has " + std::to_string(n));
    return on_store(random_halves(std::stoi(m[1]), n), "random = " + std::string(m[1]) + "\n", store);
  }
  if (std::regex_match(name, m, reduced_re) && std::stoi(m[1]) > 0)
    return {name, "per_class = " + std::string(m[1]) + "\n", {{name, labels_of(every_position(store), store), std::stoi(m[1])}}, ""};
  if (name == "natman" || name == "dissim") {
    const bool natman = name == "natman";
    if (natman ? (store.dataset != "imagenet" || n != 1000) : (store.dataset != "fashion-mnist" || n != 10))
      throw std::runtime_error("split " + name + " is defined for " +
                               (natman ? "ImageNet's 1000 classes" : "Fashion-MNIST's 10 classes") +
                               ", not for " + store.dataset + " with " + std::to_string(n));
    return on_store(natman ? natman_split() : fmnist_dissim_split(),
                    natman ? "A = 0-397, 936-958, 970, 972-998\nB = rest\n" : "A = 0, 2, 3, 4, 6\nB = rest\n", store);
  }
  throw std::runtime_error("split '" + name + "': no such built-in split (half<S>, natman, dissim, "
                           "all-k<K>) and no such file");
}

namespace {

SplitDef split_definition_unchecked(const std::string& arg, const StoreClasses& store) {
  std::error_code ec;
  if (auto eq = arg.find('='); eq != std::string::npos) {  // NAME=FILE: the views are NAME's
    SplitDef d = read_split_file(arg.substr(eq + 1), store);
    const std::string name = arg.substr(0, eq);
    for (auto& v : d.views) v.name = name + v.name.substr(d.name.size());
    d.name = name;
    d.source = name + "=" + fs::absolute(arg.substr(eq + 1)).lexically_normal().string();
    return d;
  }
  const bool file = arg.find('/') != std::string::npos || fs::path(arg).extension() == ".split" ||
                    fs::is_regular_file(arg, ec);
  SplitDef d = file ? read_split_file(arg, store) : builtin_split(arg, store);
  d.source = file ? fs::absolute(arg).lexically_normal().string() : arg;
  return d;
}

// The views of a split become folders <data>/<name><half>: its name is checked
// by the grid's rule (core/names.h), wherever it came from.
SplitDef checked_name(SplitDef d, const std::string& arg) {
  if (const std::string problem = split_name_problem(d.name); !problem.empty())
    throw std::runtime_error("split '" + escape_control_characters(arg) + "': " + problem);
  return d;
}

}  // namespace

SplitDef split_definition(const std::string& arg, const StoreClasses& store) {
  return checked_name(split_definition_unchecked(arg, store), arg);
}

}  // namespace xfer
