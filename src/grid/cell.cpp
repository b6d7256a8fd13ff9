// cell.cpp: formatting and parsing of cell ids (grammar in cell.h).
#include "grid/cell.h"

#include <charconv>
#include <vector>

namespace xfer {

std::string Cell::id() const {
  std::string s = split;
  switch (kind) {
    case CellKind::Base:
      if (target) s += std::string("-") + target;
      s += "-base";
      if (reduced_k > 0) s += "-k" + std::to_string(reduced_k);
      break;
    case CellKind::Transfer:
      s += std::string("-") + source + target + "-n" + std::to_string(n) + "-" + to_string(mode);
      break;
    case CellKind::Random:
      if (target) s += std::string("-") + target;
      s += "-random-n" + std::to_string(n);
      break;
    case CellKind::Continued:
      if (target) s += std::string("-") + target;
      s += "-base-continued";
      break;
  }
  if (!bn.empty()) s += "-bn" + bn;
  if (seed != 0) s += "-s" + std::to_string(seed);
  return s;
}

bool is_bn_choice(std::string_view bn) { return bn == "frozen" || bn == "train"; }

std::string Cell::data_name() const {
  std::string s = split;
  if (target) s += target;
  if (reduced_k > 0) s += "-k" + std::to_string(reduced_k);
  return s;
}

Cell Cell::base_of_source() const { return base_cell(split, source, seed); }

Cell base_cell(const std::string& split, char half, int seed, int reduced_k) {
  Cell c;
  c.kind = CellKind::Base;
  c.split = split;
  c.target = half;
  c.reduced_k = reduced_k;
  c.seed = seed;
  return c;
}

Cell transfer_cell(const std::string& split, char source, char target, int n, TransferMode mode, int seed,
                   const std::string& bn) {
  Cell c;
  c.kind = CellKind::Transfer;
  c.split = split;
  c.source = source;
  c.target = target;
  c.n = n;
  c.mode = mode;
  c.seed = seed;
  c.bn = bn;
  return c;
}

namespace {

std::vector<std::string_view> split_dashes(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '-') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// "n3" / "k25" / "s1" -> 3 / 25 / 1 when `part` is `prefix` then digits.
std::optional<int> prefixed_int(std::string_view part, char prefix) {
  if (part.size() < 2 || part[0] != prefix) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(part.data() + 1, part.data() + part.size(), v);
  if (ec != std::errc() || p != part.data() + part.size() || v < 0) return std::nullopt;
  return v;
}

bool is_half(std::string_view p) { return p == "A" || p == "B"; }

}  // namespace

std::optional<Cell> parse_cell_id(std::string_view id) {
  auto parts = split_dashes(id);
  if (parts.size() < 2 || parts[0].empty()) return std::nullopt;
  Cell c;
  c.split = std::string(parts[0]);
  size_t i = 1;
  // Optional trailing seed, then the optional batch normalisation of the copied stages.
  if (parts.size() > 2) {
    if (auto s = prefixed_int(parts.back(), 's')) {
      c.seed = *s;
      parts.pop_back();
    }
  }
  if (parts.size() > 2 && parts.back().substr(0, 2) == "bn") {
    if (!is_bn_choice(parts.back().substr(2))) return std::nullopt;
    c.bn = std::string(parts.back().substr(2));
    parts.pop_back();
  }
  if (i < parts.size() && parts[i].size() == 2 && is_half(parts[i].substr(0, 1)) &&
      is_half(parts[i].substr(1, 1))) {
    // Transfer: {split}-{S}{T}-n{n}-{mode}
    if (parts.size() != 4) return std::nullopt;
    c.kind = CellKind::Transfer;
    c.source = parts[1][0];
    c.target = parts[1][1];
    auto n = prefixed_int(parts[2], 'n');
    auto mode = parse_transfer_mode(parts[3]);
    if (!n || *n < 1 || !mode || (*mode != TransferMode::Frozen && *mode != TransferMode::Finetune))
      return std::nullopt;
    c.n = *n;
    c.mode = *mode;
    return c;
  }
  if (i < parts.size() && is_half(parts[i])) c.target = parts[i++][0];
  if (i >= parts.size()) return std::nullopt;
  if (parts[i] == "base") {
    if (!c.bn.empty()) return std::nullopt;  // a base's stages are all its own
    c.kind = CellKind::Base;
    ++i;
    if (i + 1 == parts.size() && parts[i] == "continued") {
      c.kind = CellKind::Continued;
      c.source = c.target;
      c.mode = TransferMode::Continue;
      return c;
    }
    if (i < parts.size()) {
      auto k = prefixed_int(parts[i], 'k');
      if (!k || *k < 1) return std::nullopt;
      c.reduced_k = *k;
      ++i;
    }
    return i == parts.size() ? std::optional<Cell>(c) : std::nullopt;
  }
  if (parts[i] == "random") {
    c.kind = CellKind::Random;
    c.mode = TransferMode::Random;
    if (i + 2 != parts.size()) return std::nullopt;
    auto n = prefixed_int(parts[i + 1], 'n');
    if (!n || *n < 1) return std::nullopt;
    c.n = *n;
    return c;
  }
  return std::nullopt;
}

}  // namespace xfer
