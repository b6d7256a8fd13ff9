// grid_config.cpp: reading, overriding, checking and writing back grid configs.
#include "grid/grid_config.h"

#include <algorithm>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "config/train_config.h"  // the solver's options and rules
#include "core/cli.h"
#include "core/names.h"
#include "grid/grid_keys.h"
#include "net/net_spec.h"  // the presets' solver defaults

namespace xfer {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& why) { grid_key_error(key, why); }

// Every key is a row of the table (grid_keys.h); [splits] names are the
// splits' own, so their spelling is checked here.
void check_key(const std::string& full) {
  auto [section, key] = section_and_key(full);
  if (section.empty()) fail(full, "keys belong in a section, e.g. [grid] or [solver]");
  if (section == "splits") {  // NAME = definition file
    if (const std::string problem = split_name_problem(key); !problem.empty()) fail(full, problem);
    return;
  }
  if (find_grid_key(section, key)) return;
  bool known_section = false;
  std::string known;
  for (const GridKey& k : grid_keys())
    if (find_grid_key(section, k.key) == &k) {
      known_section = true;
      known += (known.empty() ? "" : ", ") + k.key;
    }
  if (!known_section)
    fail(full, "unknown section [" + section + "]; use " + grid_section_names());
  fail(full, "unknown key in [" + section + "]; known: " + known);
}

// A [solver] section over `dflt` (the preset's, or [solver]'s for
// [solver.reduced]): the trainer's own options, read as the trainer reads them
// and checked by its rules, plus what only the grid knows.
SolverSettings read_solver(const KeyReader& r, const std::string& sec, const SolverSettings& dflt) {
  TrainConfig t;
  t.solver = dflt;
  for (const GridKey& k : grid_keys()) {
    if (k.trainer_option.empty()) continue;
    const std::string full = sec + "." + k.key;
    if (!r.given(full)) continue;
    try {
      set_train_option(t, k.trainer_option, r.text(full));
    } catch (const std::exception&) {
      fail(full, "'" + r.text(full) + "' is not " + (k.type == KeyType::Integer ? "an integer" : "a number"));
    }
  }
  SolverSettings s = dflt;
  static_cast<SolverSpec&>(s) = t.solver;
  for (const GridKey& k : grid_keys())  // what each came to, for `xfer_grid get`
    if (!k.trainer_option.empty()) r.note(sec + "." + k.key, train_args(t, {k.trainer_option}).back());
  s.test_from = r.number(sec + ".test_from", dflt.test_from);
  s.threads = r.integer(sec + ".threads", dflt.threads);
  s.test_start = static_cast<int>(s.test_from * double(s.max_iter));
  if (const auto p = solver_problem(s)) {
    std::string key = p->option == "test-start" ? "test_from" : p->option;
    std::replace(key.begin(), key.end(), '-', '_');
    fail(sec + "." + key, p->what + " (the trainer refuses it)");
  }
  return s;
}

void check_split_name(const std::string& key, const std::string& split) {
  if (split.empty() || split.find('-') != std::string::npos)
    fail(key, "split '" + split + "' must be a non-empty name without '-'");
}

// Layer counts: every transfer unit of the network when not given, and none
// beyond its last (CaffeNet's conv1..fc7 are 7, a ResNet's stem and stages 5).
std::vector<int> checked_n(const KeyReader& r, const std::string& key, const NetSpec& net) {
  const int units = net.transfer_layers();
  const std::vector<int> n = r.integers(key, "1-" + std::to_string(units));
  if (n.empty()) fail(key, "needs at least one layer count");
  for (int v : n)
    if (v > units)
      fail(key, std::to_string(v) + " is beyond network " + net.preset + "'s " + std::to_string(units) +
                    " transfer units (1.." + std::to_string(units) + ")");
  return n;
}

// The bn axis: frozen unless given on a network with batch normalisation;
// refused, naming the network, on one without.
std::vector<std::string> checked_bn(const KeyReader& r, const std::string& key, const NetSpec& net) {
  if (!net.has_batch_norm()) {
    if (r.given(key)) fail(key, "network " + net.preset + " has no batch normalisation");
    return {""};
  }
  std::vector<std::string> bn = r.names(key, "frozen");
  if (bn.empty()) fail(key, "needs frozen and/or train");
  return bn;
}

// [grid]: what the grid is called, trains and reads.
void read_grid_section(const KeyReader& r, GridConfig& c) {
  c.name = r.text("grid.name");
  c.network = r.text("grid.network");
  if (c.network.empty()) {
    std::string known;
    for (const auto& p : net_presets()) known += (known.empty() ? "" : ", ") + p;
    fail("grid.network", "is required (the trainer's --network: " + known + ")");
  }
  c.fc8_outputs = r.integer("grid.fc8_outputs");
  c.seeds = r.integers("grid.seeds");
  if (c.seeds.empty()) fail("grid.seeds", "needs at least one seed");
  c.trainer_config = r.text("grid.trainer_config");
  c.data = r.text("grid.data");
  c.results = r.text("grid.results", "results/" + c.name);
  c.images_per_sec = r.number("grid.images_per_sec");
}

// [solver] and [solver.reduced], over the network preset's defaults.
void read_solvers(const KeyReader& r, GridConfig& c) {
  SolverSettings preset;
  try {
    static_cast<SolverSpec&>(preset) = net_preset(c.network).solver;
  } catch (const std::exception& e) {
    fail("grid.network", e.what());
  }
  c.solver = read_solver(r, "solver", preset);
  c.reduced_solver = read_solver(r, "solver.reduced", c.solver);
}

// [base]: which splits get bases, the 1000-class base, the reduced sets, the
// continued bases.
void read_base_section(const KeyReader& r, GridConfig& c) {
  c.base_splits = r.names("base.splits");
  for (const auto& s : c.base_splits) check_split_name("base.splits", s);
  c.all_base = r.boolean("base.all");
  c.reduced_k = r.integers("base.reduced_k");
  c.continued = r.boolean("base.continued");
}

// One [transfer.NAME] block.
TransferBlock read_transfer_block(const KeyReader& r, const std::string& sec, const NetSpec& net) {
  TransferBlock b;
  b.name = sec.substr(9);
  b.splits = r.names(sec + ".splits");
  for (const auto& s : b.splits) {
    check_split_name(sec + ".splits", s);
    if (s == "all") fail(sec + ".splits", "'all' has no halves to transfer between");
  }
  b.directions = r.names(sec + ".directions");
  b.n = checked_n(r, sec + ".n", net);
  for (const auto& m : r.names(sec + ".modes")) b.modes.push_back(*parse_transfer_mode(m));
  if (b.modes.empty()) fail(sec + ".modes", "needs frozen and/or finetune");
  b.bn = checked_bn(r, sec + ".bn", net);
  return b;
}

// One [random.NAME] block (random, frozen lower layers).
RandomBlock read_random_block(const KeyReader& r, const std::string& sec, const NetSpec& net) {
  RandomBlock b;
  b.name = sec.substr(7);
  b.splits = r.names(sec + ".splits");
  for (const auto& s : b.splits) check_split_name(sec + ".splits", s);
  for (const auto& h : r.names(sec + ".halves")) b.halves.push_back(h[0]);
  for (const auto& s : b.splits) {
    if (s == "all" && !b.halves.empty()) fail(sec + ".halves", "split 'all' has no halves");
    if (s != "all" && b.halves.empty()) fail(sec + ".halves", "split '" + s + "' needs halves A and/or B");
  }
  b.n = checked_n(r, sec + ".n", net);
  b.bn = checked_bn(r, sec + ".bn", net);
  return b;
}

// [slurm]: how a cell is submitted.
SlurmSettings read_slurm_section(const KeyReader& r) {
  SlurmSettings s;
  s.ranks = r.integer("slurm.ranks");
  s.tasks_per_node = r.integer("slurm.tasks_per_node");
  s.launcher = r.text("slurm.launcher");
  s.mpi = r.text("slurm.mpi");
  s.gpus_per_rank = r.integer("slurm.gpus_per_rank");
  s.cpus_per_rank = r.integer("slurm.cpus_per_rank");
  s.mem = r.text("slurm.mem");
  s.time = r.text("slurm.time");
  s.partition = r.text("slurm.partition");
  s.account = r.text("slurm.account");
  s.qos = r.text("slurm.qos");
  s.throttle = r.integer("slurm.throttle");
  s.signal_secs = r.integer("slurm.signal_secs");
  s.max_requeues = r.integer("slurm.max_requeues");
  s.extra = r.text("slurm.extra");
  if (s.tasks_per_node > 0 && s.ranks % s.tasks_per_node != 0)
    fail("slurm.tasks_per_node", "must be 0 (SLURM places the ranks) or divide slurm.ranks");
  return s;
}

}  // namespace

GridConfig parse_grid_config(const std::map<std::string, std::string>& raw,
                             const std::vector<std::string>& section_order) {
  for (const auto& [k, v] : raw) check_key(k);
  GridConfig c;
  c.raw = raw;
  c.section_order = section_order;
  for (const auto& [k, v] : raw) {  // sections the order does not name go last, sorted
    std::string sec = section_and_key(k).first;
    if (std::find(c.section_order.begin(), c.section_order.end(), sec) == c.section_order.end())
      c.section_order.push_back(sec);
  }
  const KeyReader r(raw, &c.resolved);
  read_grid_section(r, c);
  read_solvers(r, c);
  read_base_section(r, c);
  const NetSpec net = net_preset(c.network);  // known: read_solvers() checked it
  for (const auto& section : c.section_order)
    if (section.rfind("transfer.", 0) == 0) c.transfers.push_back(read_transfer_block(r, section, net));
  for (const auto& section : c.section_order)
    if (section.rfind("random.", 0) == 0) c.randoms.push_back(read_random_block(r, section, net));
  for (const auto& [k, v] : raw)
    if (section_and_key(k).first == "splits") {
      if (v.empty()) fail(k, "give the split's definition file");
      c.split_files[section_and_key(k).second] = r.text(k);
    }
  c.slurm = read_slurm_section(r);
  c.backend = r.text("grid.backend", c.slurm.gpus_per_rank > 0 ? "cuda" : "cpu");
  return c;
}

GridConfig load_grid_config(const std::string& path, const std::vector<std::string>& overrides) {
  namespace po = boost::program_options;
  std::map<std::string, std::string> raw;
  std::vector<std::string> order;
  auto note_section = [&order](const std::string& key) {
    std::string sec = section_and_key(key).first;
    if (std::find(order.begin(), order.end(), sec) == order.end()) order.push_back(sec);
  };
  std::ifstream in(path);
  if (!in) throw std::runtime_error("grid config: cannot read '" + path + "'");
  // A UTF-8 byte-order mark (Windows editors write one) is not part of a key.
  char bom[3] = {};
  if (!in.read(bom, 3) || std::string(bom, 3) != "\xEF\xBB\xBF") {
    in.clear();
    in.seekg(0);
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    po::options_description none;
    auto parsed = po::parse_config_file(text, none, /*allow_unregistered=*/true);
    for (const auto& opt : parsed.options) {
      raw[opt.string_key] = opt.value.empty() ? "" : cli::trim(opt.value.back());
      note_section(opt.string_key);
    }
  } catch (const po::error& e) {
    std::vector<std::string> lines;
    std::istringstream again(text.str());
    for (std::string line; std::getline(again, line);) lines.push_back(line);
    throw std::runtime_error("grid config: " + path + ": " + cli::error_text(e, lines));
  }
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error("grid override '" + o + "' is not section.key=value");
    raw[cli::trim(o.substr(0, eq))] = cli::trim(o.substr(eq + 1));
    note_section(cli::trim(o.substr(0, eq)));
  }
  GridConfig c;
  try {
    c = parse_grid_config(raw, order);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + " (in " + path + ")");
  }
  // A relative trainer_config names a file beside the grid config (or, failing
  // that, one relative to where we run); cells may run from anywhere, so the
  // trainer gets an absolute path.
  if (!c.trainer_config.empty() && std::filesystem::path(c.trainer_config).is_relative()) {
    auto beside = std::filesystem::path(path).parent_path() / c.trainer_config;
    auto chosen = std::filesystem::exists(beside) ? beside : std::filesystem::path(c.trainer_config);
    c.trainer_config = std::filesystem::absolute(chosen).lexically_normal().string();
    c.raw["grid.trainer_config"] = c.resolved["grid.trainer_config"] = c.trainer_config;
  }
  // Split definition files, likewise: beside the grid config, else as given.
  for (auto& [name, file] : c.split_files) {
    if (std::filesystem::path(file).is_absolute()) continue;
    auto beside = std::filesystem::path(path).parent_path() / file;
    file = std::filesystem::absolute(std::filesystem::exists(beside) ? beside : std::filesystem::path(file))
               .lexically_normal()
               .string();
    c.raw["splits." + name] = c.resolved["splits." + name] = file;
  }
  return c;
}

std::string to_ini(const GridConfig& cfg) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sections;
  for (const auto& [k, v] : cfg.raw) {
    auto [section, key] = section_and_key(k);
    sections[section].emplace_back(key, v);
  }
  std::ostringstream out;
  out << "# Resolved grid configuration '" << cfg.name << "'.\n";
  for (const auto& section : cfg.section_order) {
    auto it = sections.find(section);
    if (it == sections.end()) continue;
    out << "\n[" << section << "]\n";
    for (const auto& [k, v] : it->second) out << k << " = " << v << "\n";
  }
  return out.str();
}

std::string presets_dir(const std::string& given, const std::string& program_dir, const std::string& built_from) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("XFER_GRIDS_DIR"); env && *env) return env;
  const std::filesystem::path installed = std::filesystem::path(program_dir) / ".." / "share" / "xfer" / "jobs" / "grids";
  std::error_code ec;
  if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal().string();
  return built_from;
}

std::vector<std::string> list_presets(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".ini") continue;
    std::ifstream in(e.path());
    std::string line;
    bool grid = false;  // a trainer config beside the presets is not one
    while (!grid && std::getline(in, line)) grid = cli::trim(line) == "[grid]";
    if (grid) names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string preset_path(const std::string& name, const std::string& dir) {
  const std::string path = dir + "/" + name + ".ini";
  const std::vector<std::string> known = list_presets(dir);
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    std::string names;
    for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
    throw std::runtime_error("no preset '" + name + "' in " + dir + " (presets: " + (names.empty() ? "none" : names) + ")");
  }
  return path;
}

}  // namespace xfer
