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

#include "core/cli.h"
#include "net/net_spec.h"  // kMaxTransferLayer, the presets' solver defaults

namespace xfer {

namespace {

using cli::parse_string_list;
using cli::trim;

// cli::parse_int_list, its message under the grid config's prefix.
std::vector<int> int_list(const std::string& key, const std::string& s) {
  try {
    return cli::parse_int_list(s, key);
  } catch (const cli::UsageError& e) {
    throw std::runtime_error(std::string("grid config: ") + e.what());
  }
}

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw std::runtime_error("grid config: " + key + ": " + why);
}

// Keys each fixed section accepts; [transfer.*] and [random.*] are checked by prefix.
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"grid",
       {"name", "network", "backend", "fc8_outputs", "seeds", "trainer_config", "images_per_sec", "data",
        "results"}},
      {"solver",
       {"max_iter", "base_lr", "lr_step", "gamma", "test_interval", "test_from", "snapshot_interval", "batch",
        "threads"}},
      {"solver.reduced",
       {"max_iter", "base_lr", "lr_step", "gamma", "test_interval", "test_from", "snapshot_interval", "batch",
        "threads"}},
      {"base", {"splits", "all", "reduced_k"}},
      {"slurm",
       {"ranks", "tasks_per_node", "launcher", "mpi", "gpus_per_rank", "cpus_per_rank", "mem", "time", "partition", "account", "qos",
        "throttle", "signal_secs", "max_requeues", "extra"}},
  };
  return keys;
}

const std::set<std::string> kTransferKeys = {"splits", "directions", "n", "modes"};
const std::set<std::string> kRandomKeys = {"splits", "halves", "n"};

// Splits "a.b.key" into ("a.b", "key").
std::pair<std::string, std::string> section_and_key(const std::string& full) {
  size_t dot = full.rfind('.');
  if (dot == std::string::npos) return {"", full};
  return {full.substr(0, dot), full.substr(dot + 1)};
}

void check_key(const std::string& full) {
  auto [section, key] = section_and_key(full);
  if (section.empty()) fail(full, "keys belong in a section, e.g. [grid] or [solver]");
  if (section.rfind("transfer.", 0) == 0) {
    if (!kTransferKeys.count(key)) fail(full, "unknown key; [transfer.*] takes splits, directions, n, modes");
    return;
  }
  if (section.rfind("random.", 0) == 0) {
    if (!kRandomKeys.count(key)) fail(full, "unknown key; [random.*] takes splits, halves, n");
    return;
  }
  if (section == "splits") {  // NAME = definition file
    if (key.empty() || key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
      fail(full, "a split's name is letters, digits, '_' and '-'");
    return;
  }
  auto it = known_keys().find(section);
  if (it == known_keys().end())
    fail(full, "unknown section [" + section + "]; use grid, solver, solver.reduced, base, "
               "transfer.NAME, random.NAME, splits or slurm");
  if (!it->second.count(key)) {
    std::string known;
    for (const auto& k : it->second) known += (known.empty() ? "" : ", ") + k;
    fail(full, "unknown key in [" + section + "]; known: " + known);
  }
}

// The value of `key` read by `parse` (std::stol, std::stod), or `dflt` when
// it is absent or empty; `what` names what the value must be.
template <class T, class Parse>
T to_number(const std::map<std::string, std::string>& raw, const std::string& key, T dflt, Parse parse,
            const char* what) {
  auto it = raw.find(key);
  if (it == raw.end() || it->second.empty()) return dflt;
  try {
    size_t pos = 0;
    T v = parse(it->second, &pos);
    if (pos != it->second.size()) throw std::invalid_argument("trailing");
    return v;
  } catch (const std::exception&) {
    fail(key, "'" + it->second + "' is not " + what);
  }
}

double to_double(const std::map<std::string, std::string>& raw, const std::string& key, double dflt) {
  return to_number<double>(raw, key, dflt, [](const std::string& s, size_t* pos) { return std::stod(s, pos); },
                           "a number");
}

int to_int(const std::map<std::string, std::string>& raw, const std::string& key, int dflt) {
  return to_number<int>(raw, key, dflt, [](const std::string& s, size_t* pos) { return std::stoi(s, pos); },
                        "an integer");
}

std::string to_str(const std::map<std::string, std::string>& raw, const std::string& key,
                   const std::string& dflt = "") {
  auto it = raw.find(key);
  return it == raw.end() ? dflt : it->second;
}

bool to_bool(const std::map<std::string, std::string>& raw, const std::string& key, bool dflt) {
  auto it = raw.find(key);
  if (it == raw.end() || it->second.empty()) return dflt;
  const std::string& v = it->second;
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  fail(key, "'" + v + "' is not true or false");
}

SolverSettings read_solver(const std::map<std::string, std::string>& raw, const std::string& sec,
                           const SolverSettings& dflt) {
  SolverSettings s = dflt;
  s.max_iter = to_int(raw, sec + ".max_iter", dflt.max_iter);
  s.base_lr = to_double(raw, sec + ".base_lr", dflt.base_lr);
  s.lr_step = to_int(raw, sec + ".lr_step", dflt.lr_step);
  s.gamma = to_double(raw, sec + ".gamma", dflt.gamma);
  s.test_interval = to_int(raw, sec + ".test_interval", dflt.test_interval);
  s.test_from = to_double(raw, sec + ".test_from", dflt.test_from);
  s.snapshot_interval = to_int(raw, sec + ".snapshot_interval", dflt.snapshot_interval);
  s.batch = to_int(raw, sec + ".batch", dflt.batch);
  s.threads = to_int(raw, sec + ".threads", dflt.threads);
  if (s.max_iter <= 0) fail(sec + ".max_iter", "must be > 0");
  if (s.base_lr <= 0) fail(sec + ".base_lr", "must be > 0");
  if (s.batch <= 0) fail(sec + ".batch", "must be > 0");
  if (s.lr_step < 0 || s.test_interval < 0 || s.snapshot_interval < 0 || s.threads < 0)
    fail(sec, "lr_step, test_interval, snapshot_interval and threads must be >= 0");
  if (s.test_from < 0 || s.test_from >= 1) fail(sec + ".test_from", "must be in [0, 1): a fraction of max_iter");
  s.test_start = static_cast<int>(s.test_from * double(s.max_iter));
  return s;
}

void check_split_name(const std::string& key, const std::string& split) {
  if (split.empty() || split.find('-') != std::string::npos)
    fail(key, "split '" + split + "' must be a non-empty name without '-'");
}

std::vector<char> parse_halves(const std::string& key, const std::string& s) {
  std::vector<char> out;
  for (const auto& h : parse_string_list(s)) {
    if (h != "A" && h != "B") fail(key, "half '" + h + "' must be A or B");
    out.push_back(h[0]);
  }
  return out;
}

std::vector<int> checked_n(const std::string& key, const std::string& s) {
  const std::vector<int> n = int_list(key, s);
  if (n.empty()) fail(key, "needs at least one layer count");
  for (int v : n)
    if (v < 1 || v > kMaxTransferLayer)
      fail(key, "layer count " + std::to_string(v) + " is outside 1.." + std::to_string(kMaxTransferLayer));
  return n;
}

// [grid]: what the grid is called, trains and reads.
void read_grid_section(const std::map<std::string, std::string>& raw, GridConfig& c) {
  c.name = to_str(raw, "grid.name", "grid");
  c.network = to_str(raw, "grid.network");
  if (c.network.empty()) fail("grid.network", "is required (the trainer's --network: caffenet or small)");
  c.fc8_outputs = to_int(raw, "grid.fc8_outputs", 0);
  c.seeds = int_list("grid.seeds", to_str(raw, "grid.seeds", "0"));
  if (c.seeds.empty()) fail("grid.seeds", "needs at least one seed");
  for (int s : c.seeds)
    if (s < 0) fail("grid.seeds", "seeds are >= 0");
  c.trainer_config = to_str(raw, "grid.trainer_config");
  c.data = to_str(raw, "grid.data");
  c.results = to_str(raw, "grid.results", "results/" + c.name);
  c.images_per_sec = to_double(raw, "grid.images_per_sec", 100);
  if (c.images_per_sec <= 0) fail("grid.images_per_sec", "must be > 0");
}

// [solver] and [solver.reduced], over the network preset's defaults.
void read_solvers(const std::map<std::string, std::string>& raw, GridConfig& c) {
  SolverSettings preset;
  try {
    static_cast<SolverSpec&>(preset) = net_preset(c.network).solver;
  } catch (const std::exception& e) {
    fail("grid.network", e.what());
  }
  c.solver = read_solver(raw, "solver", preset);
  c.reduced_solver = read_solver(raw, "solver.reduced", c.solver);
}

// [base]: which splits get bases, the 1000-class base, the reduced sets.
void read_base_section(const std::map<std::string, std::string>& raw, GridConfig& c) {
  c.base_splits = parse_string_list(to_str(raw, "base.splits"));
  for (const auto& s : c.base_splits) check_split_name("base.splits", s);
  c.all_base = to_bool(raw, "base.all", false);
  c.reduced_k = int_list("base.reduced_k", to_str(raw, "base.reduced_k"));
  for (int k : c.reduced_k)
    if (k < 1) fail("base.reduced_k", "K must be >= 1");
}

// One [transfer.NAME] block.
TransferBlock read_transfer_block(const std::map<std::string, std::string>& raw, const std::string& sec) {
  TransferBlock b;
  b.name = sec.substr(9);
  // An empty list switches the block off (--set transfer.NAME.splits=), as
  // for [random.*].
  b.splits = parse_string_list(to_str(raw, sec + ".splits"));
  for (const auto& s : b.splits) {
    check_split_name(sec + ".splits", s);
    if (s == "all") fail(sec + ".splits", "'all' has no halves to transfer between");
  }
  b.directions = parse_string_list(to_str(raw, sec + ".directions", "AB,BA"));
  for (const auto& d : b.directions)
    if (d.size() != 2 || (d[0] != 'A' && d[0] != 'B') || (d[1] != 'A' && d[1] != 'B'))
      fail(sec + ".directions", "'" + d + "' is not one of AA, AB, BA, BB");
  b.n = checked_n(sec + ".n", to_str(raw, sec + ".n", "1-" + std::to_string(kMaxTransferLayer)));
  for (const auto& m : parse_string_list(to_str(raw, sec + ".modes", "frozen"))) {
    auto mode = parse_transfer_mode(m);
    if (!mode || (*mode != TransferMode::Frozen && *mode != TransferMode::Finetune))
      fail(sec + ".modes", "'" + m + "' is not frozen or finetune");
    b.modes.push_back(*mode);
  }
  if (b.modes.empty()) fail(sec + ".modes", "needs frozen and/or finetune");
  return b;
}

// One [random.NAME] block (random, frozen lower layers).
RandomBlock read_random_block(const std::map<std::string, std::string>& raw, const std::string& sec) {
  RandomBlock b;
  b.name = sec.substr(7);
  b.splits = parse_string_list(to_str(raw, sec + ".splits", "all"));
  for (const auto& s : b.splits) check_split_name(sec + ".splits", s);
  b.halves = parse_halves(sec + ".halves", to_str(raw, sec + ".halves"));
  for (const auto& s : b.splits) {
    if (s == "all" && !b.halves.empty()) fail(sec + ".halves", "split 'all' has no halves");
    if (s != "all" && b.halves.empty()) fail(sec + ".halves", "split '" + s + "' needs halves A and/or B");
  }
  b.n = checked_n(sec + ".n", to_str(raw, sec + ".n", "1-" + std::to_string(kMaxTransferLayer)));
  return b;
}

// [slurm]: how a cell is submitted.
SlurmSettings read_slurm_section(const std::map<std::string, std::string>& raw) {
  SlurmSettings s;
  s.ranks = to_int(raw, "slurm.ranks", s.ranks);
  s.tasks_per_node = to_int(raw, "slurm.tasks_per_node", s.tasks_per_node);
  s.launcher = to_str(raw, "slurm.launcher", s.launcher);
  s.mpi = to_str(raw, "slurm.mpi", s.mpi);
  if (s.launcher != "auto" && s.launcher != "srun" && s.launcher != "mpirun")
    fail("slurm.launcher", "must be auto (srun under SLURM), srun or mpirun");
  if (s.mpi.empty()) fail("slurm.mpi", "names srun's --mpi plugin, e.g. pmix or pmi2");
  s.gpus_per_rank = to_int(raw, "slurm.gpus_per_rank", s.gpus_per_rank);
  s.cpus_per_rank = to_int(raw, "slurm.cpus_per_rank", s.cpus_per_rank);
  s.mem = to_str(raw, "slurm.mem", s.mem);
  s.time = to_str(raw, "slurm.time", s.time);
  s.partition = to_str(raw, "slurm.partition", s.partition);
  s.account = to_str(raw, "slurm.account", s.account);
  s.qos = to_str(raw, "slurm.qos", s.qos);
  s.throttle = to_int(raw, "slurm.throttle", s.throttle);
  s.signal_secs = to_int(raw, "slurm.signal_secs", s.signal_secs);
  s.max_requeues = to_int(raw, "slurm.max_requeues", s.max_requeues);
  s.extra = to_str(raw, "slurm.extra", s.extra);
  if (s.ranks < 1) fail("slurm.ranks", "must be >= 1");
  if (s.tasks_per_node < 0 || (s.tasks_per_node > 0 && s.ranks % s.tasks_per_node != 0))
    fail("slurm.tasks_per_node", "must be 0 (SLURM places the ranks) or divide slurm.ranks");
  if (s.gpus_per_rank < 0 || s.cpus_per_rank < 1) fail("slurm", "gpus_per_rank >= 0 and cpus_per_rank >= 1");
  if (s.throttle < 0 || s.signal_secs < 0 || s.max_requeues < 0)
    fail("slurm", "throttle, signal_secs and max_requeues must be >= 0");
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
  read_grid_section(raw, c);
  read_solvers(raw, c);
  read_base_section(raw, c);
  for (const auto& section : c.section_order)
    if (section.rfind("transfer.", 0) == 0) c.transfers.push_back(read_transfer_block(raw, section));
  for (const auto& section : c.section_order)
    if (section.rfind("random.", 0) == 0) c.randoms.push_back(read_random_block(raw, section));
  for (const auto& [k, v] : raw)
    if (section_and_key(k).first == "splits") {
      if (v.empty()) fail(k, "give the split's definition file");
      c.split_files[section_and_key(k).second] = v;
    }
  c.slurm = read_slurm_section(raw);
  const SlurmSettings& s = c.slurm;
  c.backend = to_str(raw, "grid.backend", s.gpus_per_rank > 0 ? "cuda" : "cpu");
  if (c.backend != "cpu" && c.backend != "cuda") fail("grid.backend", "must be cpu or cuda");
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
  try {
    po::options_description none;
    auto parsed = po::parse_config_file(in, none, /*allow_unregistered=*/true);
    for (const auto& opt : parsed.options) {
      raw[opt.string_key] = opt.value.empty() ? "" : trim(opt.value.back());
      note_section(opt.string_key);
    }
  } catch (const po::error& e) {
    throw std::runtime_error("grid config: " + path + ": " + e.what());
  }
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error("grid override '" + o + "' is not section.key=value");
    raw[trim(o.substr(0, eq))] = trim(o.substr(eq + 1));
    note_section(trim(o.substr(0, eq)));
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
    c.raw["grid.trainer_config"] = c.trainer_config;
  }
  // Split definition files, likewise: beside the grid config, else as given.
  for (auto& [name, file] : c.split_files) {
    if (std::filesystem::path(file).is_absolute()) continue;
    auto beside = std::filesystem::path(path).parent_path() / file;
    file = std::filesystem::absolute(std::filesystem::exists(beside) ? beside : std::filesystem::path(file))
               .lexically_normal()
               .string();
    c.raw["splits." + name] = file;
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

std::string preset_path(const std::string& name, const std::string& dir) {
  std::string d = dir;
  if (d.empty()) {
    const char* env = std::getenv("XFER_GRIDS_DIR");
    d = env && *env ? env : "jobs/grids";
  }
  return d + "/" + name + ".ini";
}

}  // namespace xfer
