// grid_keys.h: every key a grid config may hold, declared once: its section,
// type, default, range and help. The reader (grid_config.cpp) takes each value
// through its row, `xfer_grid keys` prints the table, and the [solver] rows
// are the trainer's own solver options (config/train_config.h), checked by the
// same rules the trainer applies, so a grid is refused for what its cells'
// trainer would refuse, by the key's name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xfer {

enum class KeyType { Text, Integer, Number, Boolean, Names, Integers };
const char* to_string(KeyType t);

struct GridKey {
  std::string section;  // "grid", "solver" (also [solver.reduced]), "transfer.NAME", ...
  std::string key;      // "NAME" in [splits]: the key is the split's name
  KeyType type = KeyType::Text;
  std::string value;    // the default, as written in a config ("" when none or computed)
  std::string computed; // in words, when the default depends on other keys
  std::string range;    // in words; "" for any value of the type
  std::string help;
  std::string trainer_option;  // [solver] rows that are xfer_train's options: its name ("max-iter")
  std::optional<double> min, max;    // numbers: checked on reading
  bool min_open = false, max_open = false;  // the bound itself is outside the range
  std::vector<std::string> choices;  // text: checked on reading when not empty
};

// The table, in the order `xfer_grid keys` prints it.
const std::vector<GridKey>& grid_keys();

// The row of `section.key` as written in a config ("solver.reduced.batch",
// "transfer.all.n", "splits.garments"), or nullptr.
const GridKey* find_grid_key(const std::string& section, const std::string& key);

// The sections, as a config writes them, for messages: "grid, solver, ...".
std::string grid_section_names();

// The table for people: `xfer_grid keys` (format "table") or a commented INI
// of every key and its default, to start a grid config from ("ini").
std::string format_grid_keys(const std::string& format);

// Reads the values of a raw config ("section.key" -> text) through their
// rows: the row's default when a key is absent or empty, its type and range
// checked, every failure one std::runtime_error "grid config: KEY: why".
class KeyReader {
 public:
  // Every value read is also written, as text, into `resolved` when given:
  // what each key came to, defaults included (`xfer_grid get`).
  explicit KeyReader(const std::map<std::string, std::string>& raw,
                     std::map<std::string, std::string>* resolved = nullptr)
      : raw_(raw), resolved_(resolved) {}
  void note(const std::string& full, const std::string& value) const;
  std::string text(const std::string& full) const;
  std::string text(const std::string& full, const std::string& dflt) const;
  int integer(const std::string& full) const;
  int integer(const std::string& full, int dflt) const;
  double number(const std::string& full) const;
  double number(const std::string& full, double dflt) const;
  bool boolean(const std::string& full) const;
  std::vector<std::string> names(const std::string& full) const;
  std::vector<std::string> names(const std::string& full, const std::string& dflt) const;
  std::vector<int> integers(const std::string& full) const;
  std::vector<int> integers(const std::string& full, const std::string& dflt) const;
  bool given(const std::string& full) const;

 private:
  const GridKey& row(const std::string& full) const;
  std::optional<std::string> raw_value(const std::string& full) const;
  template <class T>
  T in_range(const std::string& full, T v) const;
  template <class T, class Parse>
  T parsed(const std::string& full, T dflt, Parse parse, const char* what) const;
  const std::map<std::string, std::string>& raw_;
  std::map<std::string, std::string>* resolved_;
};

[[noreturn]] void grid_key_error(const std::string& key, const std::string& why);

// "a.b.key" -> ("a.b", "key").
std::pair<std::string, std::string> section_and_key(const std::string& full);

}  // namespace xfer
