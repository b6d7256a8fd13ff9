// grid_keys.cpp: the table of grid config keys, and reading values through it.
#include "grid/grid_keys.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "config/train_config.h"  // the trainer's solver rows and rules
#include "core/cli.h"
#include "core/names.h"

namespace xfer {

namespace {

GridKey row(std::string section, std::string key, KeyType type, std::string value, std::string help) {
  GridKey k;
  k.section = std::move(section);
  k.key = std::move(key);
  k.type = type;
  k.value = std::move(value);
  k.help = std::move(help);
  return k;
}

GridKey at_least(GridKey k, int min) {
  k.min = min;
  k.range = ">= " + std::to_string(min);
  return k;
}

// After at_least: the range becomes "MIN..MAX".
GridKey at_most(GridKey k, int max) {
  k.max = max;
  k.range = std::to_string(int(*k.min)) + ".." + std::to_string(max);
  return k;
}

GridKey positive(GridKey k) {
  k.min = 0;
  k.min_open = true;
  k.range = "positive";
  return k;
}

GridKey one_of(GridKey k, std::vector<std::string> choices) {
  k.choices = std::move(choices);
  for (const auto& c : k.choices) k.range += (k.range.empty() ? "" : " | ") + c;
  return k;
}

GridKey computed(GridKey k, std::string words) {
  k.computed = std::move(words);
  return k;
}

// Layer counts: at most the network's transfer units, checked where the
// network is known (grid_config.cpp).
GridKey layer_counts(GridKey k) {
  k.min = 1;
  k.range = "1..the network's transfer units (caffenet, small 7; resnet18, resnet50 5; resnet-small 4)";
  return computed(std::move(k), "every unit of the network: 1-7 for caffenet");
}

// The copied (or random) stages' batch normalisation, xfer_train's --bn.
GridKey batch_norm_axis(GridKey k) {
  return computed(one_of(std::move(k), {"frozen", "train"}),
                  "frozen on a network with batch normalisation; none (refused) on one without");
}

// "max-iter" -> "max_iter": the trainer's option as a grid key.
std::string key_of_option(std::string option) {
  std::replace(option.begin(), option.end(), '-', '_');
  return option;
}

// The trainer's solver options the grid sets: all but test-start (the grid
// says test_from, a fraction of max_iter), momentum and weight-decay (left to
// the network preset or the trainer_config file).
std::vector<GridKey> solver_rows() {
  std::vector<GridKey> rows;
  for (const std::string& option : solver_option_names()) {
    if (option == "test-start" || option == "momentum" || option == "weight-decay") continue;
    const KeyType type = train_option_is_integer(option) ? KeyType::Integer : KeyType::Number;
    GridKey k = computed(row("solver", key_of_option(option), type, "",
                             train_option_help(option)),
                         "the network preset's ([solver.reduced]: [solver]'s)");
    for (const SolverRule& r : solver_rules())
      if (option == r.option) k.range = r.range;
    k.trainer_option = option;
    rows.push_back(std::move(k));
  }
  GridKey from = row("solver", "test_from", KeyType::Number, "0",
                     "tests start after this fraction of max_iter (xfer_train's --test-start is test_from x "
                     "max_iter), so shrinking max_iter keeps them on the end of the run");
  from.min = 0;
  from.max = 1;
  from.max_open = true;
  from.range = "in [0, 1)";
  rows.push_back(from);
  rows.push_back(at_most(at_least(row("solver", "threads", KeyType::Integer, "0",
                                      "xfer_train's --threads; 0: the runner decides (cores / cells at once)"),
                                  0),
                         kMaxThreads));
  return rows;
}

std::vector<GridKey> make_table() {
  using T = KeyType;
  std::vector<GridKey> t = {
      row("grid", "name", T::Text, "grid", "the grid's name (SLURM job names, the default results folder)"),
      computed(row("grid", "network", T::Text, "",
                   "the trainer's --network preset: caffenet | small | resnet18 | resnet50 | resnet-small"),
               "required"),
      computed(one_of(row("grid", "backend", T::Text, "", "the trainer's --backend"), {"cpu", "cuda"}),
               "cuda when slurm.gpus_per_rank > 0, else cpu"),
      at_most(at_least(row("grid", "fc8_outputs", T::Integer, "0", "fc8 outputs; 0: the trainer's (the classes)"), 0),
              kMaxFc8Outputs),
      at_least(row("grid", "seeds", T::Integers, "0", "replicate seeds; every cell is trained once per seed"),
               0),
      row("grid", "trainer_config", T::Text, "",
          "an xfer_train --config file for every cell (relative: beside the grid config)"),
      positive(row("grid", "images_per_sec", T::Number, "100", "images a second per rank, for list's cost column")),
      row("grid", "data", T::Text, "", "the data root (the programs' --data)"),
      computed(row("grid", "results", T::Text, "", "the results folder (the programs' --results)"),
               "results/<name>"),
  };
  for (GridKey& k : solver_rows()) t.push_back(std::move(k));
  t.push_back(row("base", "splits", T::Names, "", "splits whose halves A and B get a base each"));
  t.push_back(row("base", "all", T::Boolean, "false", "the all-class base"));
  t.push_back(at_least(row("base", "reduced_k", T::Integers, "",
                           "reduced-volume all-class bases: the first K training images per class"),
                       1));
  t.push_back(row("base", "continued", T::Boolean, "false",
                  "a continued base for every half base of a split (per seed): the base trained for one more "
                  "schedule from its final weights, every layer with fc8, the reference of a selffer whose "
                  "copied layers were trained twice (ours, not the paper's)"));
  t.push_back(row("transfer.NAME", "splits", T::Names, "",
                  "splits to transfer within (an empty list switches the block off)"));
  t.push_back(one_of(row("transfer.NAME", "directions", T::Names, "AB,BA",
                         "AB: copy from A's base, train on B; AA and BB are the selffers"),
                     {"AA", "AB", "BA", "BB"}));
  t.push_back(layer_counts(row("transfer.NAME", "n", T::Integers, "", "layers (a ResNet's stages) 1..n copied")));
  t.push_back(one_of(row("transfer.NAME", "modes", T::Names, "frozen", "copied layers frozen or fine-tuned"),
                     {"frozen", "finetune"}));
  t.push_back(batch_norm_axis(row("transfer.NAME", "bn", T::Names, "",
                                  "the copied stages' batch normalisation: frozen (running statistics and affine "
                                  "fixed, as torchvision's FrozenBatchNorm2d) and/or train (batch statistics); a "
                                  "cell per value, its id ending -bnfrozen or -bntrain")));
  t.push_back(row("random.NAME", "splits", T::Names, "all", "\"all\" or split names (random, frozen layers 1..n)"));
  t.push_back(one_of(row("random.NAME", "halves", T::Names, "", "the halves of a split (none for \"all\")"),
                     {"A", "B"}));
  t.push_back(layer_counts(row("random.NAME", "n", T::Integers, "", "random frozen layers (stages) 1..n")));
  t.push_back(batch_norm_axis(row("random.NAME", "bn", T::Names, "",
                                  "the random stages' batch normalisation: frozen (recalibrated on training "
                                  "batches, then fixed) and/or train (batch statistics)")));
  t.push_back(row("splits", "NAME", T::Text, "",
                  "the definition file of split NAME (data_prep/split_def.h), beside the grid config; "
                  "built-in names need no line"));
  t.push_back(at_least(row("slurm", "ranks", T::Integer, "1", "MPI ranks (GPUs) per cell"), 1));
  t.push_back(at_least(row("slurm", "tasks_per_node", T::Integer, "0",
                           "0: SLURM places the ranks; N: N on each of ranks / N nodes"),
                       0));
  t.push_back(one_of(row("slurm", "launcher", T::Text, "auto", "how a cell's ranks start (auto: srun under SLURM)"),
                     {"auto", "srun", "mpirun"}));
  t.push_back(row("slurm", "mpi", T::Text, "pmix", "srun's --mpi plugin (what the site's MPI was built for)"));
  t.back().range = "not empty";
  t.push_back(at_least(row("slurm", "gpus_per_rank", T::Integer, "1", "GPUs per rank (0: a CPU grid)"), 0));
  t.push_back(at_least(row("slurm", "cpus_per_rank", T::Integer, "4", "CPUs per rank"), 1));
  t.push_back(row("slurm", "mem", T::Text, "", "sbatch --mem (empty: the partition's default)"));
  t.push_back(row("slurm", "time", T::Text, "2-00:00:00", "sbatch --time of one attempt"));
  t.push_back(row("slurm", "partition", T::Text, "", "sbatch --partition"));
  t.push_back(row("slurm", "account", T::Text, "", "sbatch --account"));
  t.push_back(row("slurm", "qos", T::Text, "", "sbatch --qos"));
  t.push_back(at_least(row("slurm", "throttle", T::Integer, "0", "at most N tasks of an array at once (0: no limit)"),
                       0));
  t.push_back(at_least(row("slurm", "signal_secs", T::Integer, "300",
                           "USR1 this long before the time limit: checkpoint and requeue"),
                       0));
  t.push_back(at_least(row("slurm", "max_requeues", T::Integer, "50", "attempts of a cell in one job, less one"),
                       0));
  t.push_back(row("slurm", "extra", T::Text, "", "more sbatch options, space separated"));
  return t;
}

// The table section a config's section reads its rows from.
std::string table_section(const std::string& section) {
  if (section == "solver.reduced") return "solver";
  if (section.rfind("transfer.", 0) == 0) return "transfer.NAME";
  if (section.rfind("random.", 0) == 0) return "random.NAME";
  return section;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string default_words(const GridKey& k) {
  if (!k.computed.empty()) return k.computed;
  return k.value.empty() ? "(none)" : k.value;
}

}  // namespace

const char* to_string(KeyType t) {
  switch (t) {
    case KeyType::Text: return "text";
    case KeyType::Integer: return "integer";
    case KeyType::Number: return "number";
    case KeyType::Boolean: return "true|false";
    case KeyType::Names: return "list";
    case KeyType::Integers: return "integer list";
  }
  return "?";
}

const std::vector<GridKey>& grid_keys() {
  static const std::vector<GridKey> table = make_table();
  return table;
}

const GridKey* find_grid_key(const std::string& section, const std::string& key) {
  const std::string sec = table_section(section);
  for (const GridKey& k : grid_keys())
    if (k.section == sec && (k.key == key || (sec == "splits" && k.key == "NAME"))) return &k;
  return nullptr;
}

std::string grid_section_names() {
  std::vector<std::string> names;
  for (const GridKey& k : grid_keys()) {
    if (std::find(names.begin(), names.end(), k.section) == names.end()) names.push_back(k.section);
    if (k.section == "solver" && std::find(names.begin(), names.end(), "solver.reduced") == names.end())
      names.push_back("solver.reduced");
  }
  return join(names, ", ");
}

std::string format_grid_keys(const std::string& format) {
  std::ostringstream out;
  std::string section;
  for (const GridKey& k : grid_keys()) {
    if (format == "ini") {
      if (k.section != section) out << (section.empty() ? "" : "\n") << "[" << k.section << "]\n";
      out << "# " << k.help << " (" << to_string(k.type) << (k.range.empty() ? "" : "; " + k.range)
          << (k.computed.empty() ? "" : "; default: " + k.computed) << ")\n"
          << "# " << k.key << " = " << k.value << "\n";
    } else if (format == "table") {
      if (k.section != section) out << (section.empty() ? "" : "\n") << "[" << k.section << "]"
                                    << (k.section == "solver" ? " and [solver.reduced]" : "") << "\n";
      out << "  " << k.key << " (" << to_string(k.type) << (k.range.empty() ? "" : ", " + k.range)
          << "; default " << default_words(k) << ")\n      " << k.help << "\n";
    } else {
      throw std::runtime_error("keys --format must be table or ini");
    }
    section = k.section;
  }
  return out.str();
}

std::pair<std::string, std::string> section_and_key(const std::string& full) {
  size_t dot = full.rfind('.');
  if (dot == std::string::npos) return {"", full};
  return {full.substr(0, dot), full.substr(dot + 1)};
}

void grid_key_error(const std::string& key, const std::string& why) {
  throw std::runtime_error("grid config: " + key + ": " + why);
}

// ---------------------------------------------------------------------------
// KeyReader

const GridKey& KeyReader::row(const std::string& full) const {
  auto [section, key] = section_and_key(full);
  const GridKey* k = find_grid_key(section, key);
  if (!k) grid_key_error(full, "not a grid key (xfer_grid keys lists them)");
  return *k;
}

std::optional<std::string> KeyReader::raw_value(const std::string& full) const {
  auto it = raw_.find(full);
  if (it == raw_.end() || it->second.empty()) return std::nullopt;
  // Values become sbatch arguments, INI lines, file and folder names.
  if (const std::string problem = control_character_problem(it->second); !problem.empty())
    grid_key_error(full, problem + ": refused");
  return it->second;
}

bool KeyReader::given(const std::string& full) const { return raw_value(full).has_value(); }

void KeyReader::note(const std::string& full, const std::string& value) const {
  if (resolved_) (*resolved_)[full] = value;
}

namespace {
template <class T>
std::string as_text(const T& v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}
}  // namespace

template <class T>
T KeyReader::in_range(const std::string& full, T v) const {
  const GridKey& k = row(full);
  const bool below = k.min && (v < *k.min || (k.min_open && v == *k.min));
  const bool above = k.max && (v > *k.max || (k.max_open && v == *k.max));
  if (below || above) {
    std::ostringstream s;
    s << v;
    grid_key_error(full, s.str() + " is not " + k.range);
  }
  return v;
}

std::string KeyReader::text(const std::string& full, const std::string& dflt) const {
  const GridKey& k = row(full);
  const std::string v = raw_value(full).value_or(dflt);
  if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), v) == k.choices.end())
    grid_key_error(full, "'" + v + "' is not " + k.range);
  if (k.range == "not empty" && v.empty()) grid_key_error(full, "must not be empty");
  note(full, v);
  return v;
}

std::string KeyReader::text(const std::string& full) const { return text(full, row(full).value); }

template <class T, class Parse>
T KeyReader::parsed(const std::string& full, T dflt, Parse parse, const char* what) const {
  const auto v = raw_value(full);
  note(full, v.value_or(as_text(dflt)));
  if (!v) return dflt;
  try {
    size_t pos = 0;
    const T x = parse(*v, &pos);
    if constexpr (std::is_floating_point_v<T>)
      if (pos == v->size() && !std::isfinite(x)) grid_key_error(full, "'" + *v + "' is not a finite number");
    if (pos == v->size()) return in_range(full, x);
  } catch (const std::logic_error&) {  // std::invalid_argument, std::out_of_range
  }
  grid_key_error(full, "'" + *v + "' is not " + what);
}

int KeyReader::integer(const std::string& full, int dflt) const {
  return parsed(full, dflt, [](const std::string& s, size_t* pos) { return std::stoi(s, pos); }, "an integer");
}

int KeyReader::integer(const std::string& full) const {
  const GridKey& k = row(full);
  return integer(full, k.value.empty() ? 0 : std::stoi(k.value));
}

double KeyReader::number(const std::string& full, double dflt) const {
  return parsed(full, dflt, [](const std::string& s, size_t* pos) { return std::stod(s, pos); }, "a number");
}

double KeyReader::number(const std::string& full) const {
  const GridKey& k = row(full);
  return number(full, k.value.empty() ? 0 : std::stod(k.value));
}

bool KeyReader::boolean(const std::string& full) const {
  const std::string v = raw_value(full).value_or(row(full).value);
  note(full, v);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  grid_key_error(full, "'" + v + "' is not true or false");
}

std::vector<std::string> KeyReader::names(const std::string& full, const std::string& dflt) const {
  const GridKey& k = row(full);
  auto it = raw_.find(full);  // given empty: an empty list (a block switched off)
  const std::vector<std::string> v = cli::parse_string_list(it == raw_.end() ? dflt : it->second);
  note(full, it == raw_.end() ? dflt : it->second);
  for (const auto& x : v)
    if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), x) == k.choices.end())
      grid_key_error(full, "'" + x + "' is not " + k.range);
  return v;
}

std::vector<std::string> KeyReader::names(const std::string& full) const { return names(full, row(full).value); }

std::vector<int> KeyReader::integers(const std::string& full, const std::string& dflt) const {
  auto it = raw_.find(full);
  const std::string text = it == raw_.end() ? dflt : it->second;
  std::vector<int> v;
  note(full, text);
  try {
    v = cli::parse_int_list(text, full);
  } catch (const cli::UsageError& e) {
    throw std::runtime_error(std::string("grid config: ") + e.what());
  }
  for (int x : v) in_range(full, x);
  return v;
}

std::vector<int> KeyReader::integers(const std::string& full) const { return integers(full, row(full).value); }

}  // namespace xfer
