// groups.cpp: group membership of cells.
#include "analysis/groups.h"

namespace xfer {

const char* label(Group g) {
  switch (g) {
    case Group::BaseB: return "baseB";
    case Group::BnB: return "BnB";
    case Group::BnBPlus: return "BnB+";
    case Group::AnB: return "AnB";
    case Group::AnBPlus: return "AnB+";
    case Group::ContinuedB: return "continued base";
  }
  return "?";
}

bool in_group(const Cell& c, Group g, int n) {
  if (!c.is_random_split()) return false;
  if (g == Group::BaseB) return c.kind == CellKind::Base && c.target != 0 && c.reduced_k == 0;
  if (g == Group::ContinuedB) return c.kind == CellKind::Continued && c.target != 0 && c.reduced_k == 0;
  if (c.kind != CellKind::Transfer || c.n != n) return false;
  bool self = c.source == c.target;
  bool frozen = c.mode == TransferMode::Frozen;
  switch (g) {
    case Group::BnB: return self && frozen;
    case Group::BnBPlus: return self && !frozen;
    case Group::AnB: return !self && frozen;
    case Group::AnBPlus: return !self && !frozen;
    default: return false;
  }
}

bool is_dissimilar_split(const std::string& split) {
  return split.rfind("half", 0) != 0 && split != "all";
}

std::set<std::string> dissimilar_splits(const Dataset& ds) {
  std::set<std::string> out;
  for (const auto& [id, run] : ds.runs)
    if (is_dissimilar_split(run.cell.split)) out.insert(run.cell.split);
  return out;
}

std::string half_label(const std::string& split, char half) {
  if (split == "natman") return half == 'A' ? "natural" : "man-made";
  if (split == "dissim") return half == 'A' ? "upper-body" : "other";
  return std::string(1, half);
}

bool is_all_base(const Cell& c) {
  return c.split == "all" && c.kind == CellKind::Base && c.target == 0 && c.reduced_k == 0;
}

bool is_all_random(const Cell& c, int n) {
  return c.split == "all" && c.kind == CellKind::Random && c.target == 0 && c.n == n;
}

bool is_half_random(const Cell& c, int n) {
  return c.is_random_split() && c.kind == CellKind::Random && c.target != 0 && c.n == n;
}

bool is_reduced(const Cell& c, int k) {
  return c.split == "all" && c.kind == CellKind::Base && c.reduced_k == k;
}

bool is_reduced_base(const Cell& c) {
  return c.split == "all" && c.kind == CellKind::Base && c.reduced_k > 0;
}

bool is_split_base(const Cell& c, const std::string& split, char target) {
  return c.split == split && c.kind == CellKind::Base && c.target == target && c.reduced_k == 0;
}

bool is_split_continued(const Cell& c, const std::string& split, char target) {
  return c.split == split && c.kind == CellKind::Continued && c.target == target && c.reduced_k == 0;
}

bool is_split_transfer(const Cell& c, const std::string& split, char source, char target, int n,
                       TransferMode mode) {
  return c.split == split && c.kind == CellKind::Transfer && c.source == source && c.target == target &&
         c.n == n && c.mode == mode;
}

bool is_split_anb(const Cell& c, const std::string& split, char target, int n) {
  return c.split == split && c.kind == CellKind::Transfer && c.target == target && c.source != target &&
         c.n == n && c.mode == TransferMode::Frozen;
}

bool in_relative_series(const Cell& c, const std::string& series) {
  if (series == "random filters") return c.kind == CellKind::Random;
  if (c.kind != CellKind::Transfer || c.mode != TransferMode::Frozen || c.source == c.target) return false;
  return series == "random" ? c.is_random_split() : c.split == series;
}

}  // namespace xfer
