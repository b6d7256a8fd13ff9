// effects.cpp: paired effects over units (see effects.h).
#include "analysis/effects.h"

#include <cstdio>


namespace xfer {

namespace {

// The two groups an effect subtracts, and whether its reference is the base.
struct Terms {
  Group minuend, subtrahend;
};

Terms terms(Effect e) {
  switch (e) {
    case Effect::BnBvsBase: return {Group::BnB, Group::BaseB};
    case Effect::BnBPlusvsBase: return {Group::BnBPlus, Group::BaseB};
    case Effect::AnBvsBase: return {Group::AnB, Group::BaseB};
    case Effect::AnBPlusvsBase: return {Group::AnBPlus, Group::BaseB};
    case Effect::AnBvsBnB: return {Group::AnB, Group::BnB};
    case Effect::BnBPlusvsBnB: return {Group::BnBPlus, Group::BnB};
    case Effect::BnBvsContinued: return {Group::BnB, Group::ContinuedB};
    case Effect::BnBPlusvsContinued: return {Group::BnBPlus, Group::ContinuedB};
  }
  return {Group::BaseB, Group::BaseB};
}

// What a network's schedule shows in its curve: the iteration it ended at and
// the interval between its tests (the most common gap). Not where its tests
// start or how many there are: a log that was resumed, or that lost lines,
// has fewer tests of the same schedule.
std::string schedule_of(const NetRun& r) {
  if (r.curve.empty()) return "no tests";
  std::map<int64_t, int> gaps;
  for (size_t i = 1; i < r.curve.size(); ++i) ++gaps[r.curve[i].iteration - r.curve[i - 1].iteration];
  int64_t every = 0;
  int most = 0;
  for (const auto& [gap, count] : gaps)
    if (count > most) most = count, every = gap;
  return "tests every " + std::to_string(every) + " to " + std::to_string(r.curve.back().iteration);
}

// "" when every network of `groups` at n shares one schedule, else the first
// two cells that do not, with theirs.
std::string mixed_schedules(const Dataset& ds, std::initializer_list<Group> groups, int n) {
  const NetRun* first = nullptr;
  for (const auto& [id, run] : ds.runs) {
    bool in = false;
    for (Group g : groups) in |= in_group(run.cell, g, n);
    if (!in) continue;
    if (!first) {
      first = &run;
    } else if (schedule_of(run) != schedule_of(*first)) {
      return first->cell_id + " (" + schedule_of(*first) + ") and " + id + " (" + schedule_of(run) + ")";
    }
  }
  return "";
}

std::string signed_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.4f", v);
  return buf;
}

}  // namespace

std::string unit_name(const UnitKey& u) {
  return std::get<0>(u) + " " + std::string(1, std::get<1>(u)) + " seed " + std::to_string(std::get<2>(u));
}

std::map<UnitKey, double> unit_values(const Dataset& ds, Statistic s, Group g, int n) {
  std::map<UnitKey, std::vector<double>> all;
  for (const auto& [id, run] : ds.runs)
    if (in_group(run.cell, g, n))
      all[{run.cell.split, run.cell.target, run.cell.seed}].push_back(curve_statistic(run.curve, s));
  std::map<UnitKey, double> out;
  for (const auto& [unit, values] : all) out[unit] = summarize(values).mean;
  return out;
}

const char* label(Effect e) {
  switch (e) {
    case Effect::BnBvsBase: return "BnB − baseB";
    case Effect::BnBPlusvsBase: return "BnB+ − baseB";
    case Effect::AnBvsBase: return "AnB − baseB";
    case Effect::AnBPlusvsBase: return "AnB+ − baseB";
    case Effect::AnBvsBnB: return "AnB − BnB";
    case Effect::BnBPlusvsBnB: return "BnB+ − BnB";
    case Effect::BnBvsContinued: return "BnB − continued base";
    case Effect::BnBPlusvsContinued: return "BnB+ − continued base";
  }
  return "?";
}

const char* meaning(Effect e) {
  switch (e) {
    case Effect::BnBvsBase: return "below 0: fragile co-adaptation";
    case Effect::BnBPlusvsBase: return "level with 0: fine-tuning recovers co-adaptation";
    case Effect::AnBvsBase: return "below 0: frozen transfer loses (co-adaptation and specificity)";
    case Effect::AnBPlusvsBase: return "above 0: transfer plus fine-tuning generalises better";
    case Effect::AnBvsBnB: return "below 0: the features are specific to their task";
    case Effect::BnBPlusvsBnB: return "above 0: fine-tuning recovers the co-adapted layers";
    case Effect::BnBvsContinued:
      return "below 0: fragile co-adaptation, with the selffer's extra training matched by the base's (ours, not "
             "the paper's)";
    case Effect::BnBPlusvsContinued:
      return "level with 0: fine-tuning recovers co-adaptation, against a base trained as long (ours, not the "
             "paper's)";
  }
  return "?";
}

bool against_continued(Effect e) { return terms(e).subtrahend == Group::ContinuedB; }

std::vector<EffectAtN> effect_by_n(const Dataset& ds, Statistic s, Effect e, Diagnostics* diag) {
  const Terms t = terms(e);
  // Continued bases are an option of a grid: where there are none at all, a
  // unit without one is the design, not a gap worth a warning.
  if (against_continued(e) && unit_values(ds, s, Group::ContinuedB, 0).empty()) diag = nullptr;
  std::vector<EffectAtN> out;
  std::vector<double> p;
  for (int n = 1; n <= ds.layers; ++n) {
    EffectAtN at;
    at.n = n;
    at.expected = expected_sign(e);
    const std::map<UnitKey, double> reference = unit_values(ds, s, t.subtrahend, n);
    for (const auto& [unit, v] : unit_values(ds, s, t.minuend, n)) {
      auto ref = reference.find(unit);
      if (ref == reference.end()) {
        if (diag)
          diag->warn("", 0, ds.name + ": " + label(t.minuend) + " n=" + std::to_string(n) + " of " + unit_name(unit) +
                                " has no " + label(t.subtrahend) + " of its own: left out of " + label(e));
        continue;
      }
      at.units.push_back(unit_name(unit));
      at.differences.push_back(v - ref->second);
    }
    if (std::string mixed = mixed_schedules(ds, {t.minuend, t.subtrahend}, n); !mixed.empty()) {
      at.refused = "trained with different schedules: " + mixed;
      if (diag) diag->warn("", 0, ds.name + ": " + label(e) + " n=" + std::to_string(n) + " refused, " + at.refused);
      at.test = paired_test({});  // no test of unlike schedules
      at.test.n = static_cast<int>(at.differences.size());
      p.push_back(NAN);
      out.push_back(std::move(at));
      continue;
    }
    at.test = paired_test(at.differences);
    if (static_cast<int>(at.differences.size()) >= kMinUnitsToTest &&
        static_cast<int>(at.differences.size()) <= kSignFlipMaxUnits)
      at.sign_flip = sign_flip_p(at.differences);
    p.push_back(at.test.p);
    out.push_back(std::move(at));
  }
  const std::vector<double> holm = holm_adjust(p);
  for (size_t i = 0; i < out.size(); ++i) out[i].holm = holm[i];
  return out;
}

int expected_sign(Effect e) {
  const std::string m = meaning(e);
  if (m.rfind("below 0", 0) == 0) return -1;
  if (m.rfind("above 0", 0) == 0) return 1;
  return 0;  // "level with 0"
}

// "seen": a difference of the paper's sign; "the reverse seen": of the other
// sign (a selffer above its base is not fragile co-adaptation); "a difference
// seen": where the paper expects none (fine-tuning that does not recover).
std::string verdict(const EffectAtN& e) {
  if (!e.refused.empty()) return "refused: " + e.refused;
  const PairedTest& t = e.test;
  if (t.n == 0) return "no units";
  if (t.status == PairedStatus::too_few_units)
    return "too few to test (" + std::to_string(t.n) + " unit" + (t.n == 1 ? "" : "s") + ", mean " +
           signed_number(t.mean) + ")";
  if (t.status == PairedStatus::no_spread)
    return "not tested (" + std::to_string(t.n) + " units, all " + signed_number(t.mean) + ")";
  char p[32];
  std::snprintf(p, sizeof p, "%.3g", e.holm);
  const char* word = "not seen here";
  if (e.seen()) word = e.expected == 0 ? "a difference seen" : (t.mean > 0) == (e.expected > 0) ? "seen" : "the reverse seen";
  return std::string(word) + " (" + signed_number(t.mean) + ", 95% CI " +
         signed_number(t.interval.low) + ".." + signed_number(t.interval.high) + ", Holm p " + p + ", " +
         std::to_string(t.n) + " units)";
}

}  // namespace xfer
