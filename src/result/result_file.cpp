// result_file.cpp: result.json's writer and its two readers, the strict one
// that decides which runs analysis may pool and the grid's lenient one.
#include "result/result_file.h"

#include <cmath>
#include <fstream>
#include <map>
#include <type_traits>

#include "core/provenance.h"
#include "io/atomic_file.h"
#include "result/json_read.h"

namespace xfer {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace json_read;  // Refusal, member, field, read_json

std::string diverged_reason(const RunResult& r) {
  if (r.diverged_iteration < 0 && r.diverged_what.empty()) return "diverged (no details recorded)";
  std::string s = "diverged";
  if (r.diverged_iteration >= 0) s += " at iteration " + std::to_string(r.diverged_iteration);
  if (!r.diverged_what.empty()) s += " (" + r.diverged_what + ")";
  return s;
}

// ---------------------------------------------------------------------------
// Writing.

namespace {

const char* status_text(RunStatus s) {
  switch (s) {
    case RunStatus::Finished: return "finished";
    case RunStatus::Diverged: return "diverged";
    default: return "unfinished";
  }
}

json point_object(const CurvePoint& p) {
  json point = {{"iteration", p.iteration}, {"top1", p.top1}, {"top5", p.top5}, {"loss", p.loss}};
  if (p.images > 0) point["images"] = p.images;
  return point;
}

json curve_array(const std::vector<CurvePoint>& curve) {
  auto a = json::array();
  for (const auto& p : curve) a.push_back(point_object(p));
  return a;
}

// The paper's statistic and the last test, for a finished run; empty otherwise.
json statistic_block(const RunResult& r) {
  if (r.curve.empty() || r.status != RunStatus::Finished) return json::object();
  const CurvePoint& last = r.curve.back();
  return {{"top10_mean_top1", curve_statistic(r.curve, Statistic::Top10)},
          {"best_top1", curve_statistic(r.curve, Statistic::Best)},
          {"final_top1", last.top1},
          {"final_top5", last.top5},
          {"final_loss", last.loss}};
}

}  // namespace

std::string result_to_json(const RunResult& r) {
  json j = {{"schema", kResultSchema},
            {"schema_version", kResultSchemaVersion},
            {"cell_id", r.cell_id},
            {"preset", r.preset},
            {"config_hash", r.config_hash},
            {"code_version", code_version()},
            {"num_classes", r.num_classes},
            {"num_outputs", r.num_outputs},
            {"status", status_text(r.status)},
            {"finished", r.status == RunStatus::Finished},
            {"iterations", r.iterations},
            {"curve", curve_array(r.curve)},
            {"statistic", statistic_block(r)},
            {"images_per_s", r.images_per_s},
            {"wall_s", r.wall_s},
            {"backend", r.backend},
            {"tf32", r.tf32},
            {"ranks", r.ranks},
            {"step_s", r.step_s},
            {"comm", {{"bytes_per_step", r.comm_bytes_per_step},
                      {"seconds_per_step", r.comm_s_per_step},
                      {"hidden_fraction", r.comm_hidden_fraction}}}};
  if (r.full_test && r.status == RunStatus::Finished) j["full_test"] = point_object(*r.full_test);
  if (r.status == RunStatus::Diverged) j["diverged"] = {{"iteration", r.diverged_iteration}, {"what", r.diverged_what}};
  if (!r.provenance_json.empty()) j["provenance"] = json::parse(r.provenance_json);
  return j.dump(1);
}

void write_result_file(const std::string& path, const RunResult& r) {
  write_file_atomic(path, result_to_json(r) + "\n");
}

std::string curve_to_json(const std::vector<CurvePoint>& curve) { return curve_array(curve).dump(); }

std::vector<CurvePoint> curve_from_json(const std::string& s) {
  std::vector<CurvePoint> v;
  if (s.empty()) return v;
  for (const auto& e : json::parse(s))
    v.push_back({e.at("iteration").get<int64_t>(), e.at("top1").get<double>(), e.at("top5").get<double>(),
                 e.at("loss").get<double>(), e.value("images", int64_t{0})});
  return v;
}

// ---------------------------------------------------------------------------
// Reading: what both readers share.

namespace {

// Where and why the run diverged, from the trainer's "diverged" record: an
// integer iteration and a string (anything else is written out as JSON), as
// far as they are there.
void read_divergence(const json& j, RunResult& r) {
  auto d = j.find("diverged");
  if (d == j.end() || !d->is_object()) return;
  if (auto it = d->find("iteration"); it != d->end() && it->is_number_integer()) r.diverged_iteration = it->get<int64_t>();
  if (auto w = d->find("what"); w != d->end() && !w->is_null())
    r.diverged_what = w->is_string() ? w->get<std::string>() : w->dump();
}

}  // namespace

// ---------------------------------------------------------------------------
// Reading, strictly.

namespace {

void check_schema(const json& j) {
  std::string schema = field<std::string>(j, "schema");
  int version = field<int>(j, "schema_version");
  if (schema == kResultSchema && version == kResultSchemaVersion) return;
  throw Refusal{"schema '" + schema + "' version " + std::to_string(version) + " is not '" + kResultSchema +
                "' version " + std::to_string(kResultSchemaVersion)};
}


// How the run ended: "status" where the trainer writes it, else (files from
// before it did) "finished"; refused where the two disagree.
RunStatus read_status(const json& j, RunResult& run) {
  bool finished = field<bool>(j, "finished");
  auto it = j.find("status");
  if (it == j.end()) return finished ? RunStatus::Finished : RunStatus::Unfinished;
  std::string status = field<std::string>(j, "status");
  if (status == "diverged") {
    read_divergence(j, run);
    return RunStatus::Diverged;
  }
  if ((status == "finished") != finished)
    throw Refusal{"status '" + status + "' contradicts \"finished\": " + (finished ? "true" : "false")};
  return finished ? RunStatus::Finished : RunStatus::Unfinished;
}

// What is wrong with one value of a curve point; empty when it is a finite
// number. nlohmann writes NaN and infinity as null, so null is the usual case.
std::string value_problem(const json& p, const char* key) {
  auto it = p.find(key);
  std::string k = key;
  if (it == p.end()) return k + " is missing";
  if (it->is_null()) return k + " is null, not a number (NaN or infinity written as JSON)";
  if (it->is_string()) return k + " is a string ('" + it->get<std::string>() + "'), not a number";
  if (!it->is_number()) return k + " is " + it->type_name() + ", not a number";
  if (!std::isfinite(it->get<double>())) return k + " is not finite";
  return "";
}

std::string point_problem(const json& p) {
  if (!p.is_object()) return std::string("is ") + p.type_name() + ", not an object";
  auto it = p.find("iteration");
  if (it == p.end() || !it->is_number_integer()) return "has no integer iteration";
  if (it->get<int64_t>() < 0) return "iteration " + it->dump() + " is negative";
  for (const char* key : {"top1", "top5", "loss"})
    if (auto problem = value_problem(p, key); !problem.empty()) return problem;
  // An accuracy outside [0, 1] or a negative loss cannot be measured: pooled,
  // one such point would move a group's mean by any amount.
  for (const char* key : {"top1", "top5"})
    if (const double v = p[key].get<double>(); v < 0 || v > 1)
      return std::string(key) + " is " + p[key].dump() + ", not an accuracy in [0, 1]";
  if (p["loss"].get<double>() < 0) return "loss is " + p["loss"].dump() + ", below 0";
  // Optional (older results lack it); when there, a count.
  if (auto images = p.find("images"); images != p.end() && !(images->is_number_integer() && images->get<int64_t>() > 0))
    return "images is " + images->dump() + ", not a positive count";
  return "";
}

CurvePoint read_point(const json& p) {
  return {p["iteration"].get<int64_t>(), p["top1"].get<double>(), p["top5"].get<double>(), p["loss"].get<double>(),
          p.value("images", int64_t{0})};
}

// The last weights' test on the whole validation set, where the file has one.
std::optional<CurvePoint> read_full_test(const json& j) {
  auto it = j.find("full_test");
  if (it == j.end()) return std::nullopt;
  if (std::string problem = point_problem(*it); !problem.empty()) throw Refusal{"full_test " + problem};
  return read_point(*it);
}

// The curve, one point per rising iteration; refused, with its first bad
// point, where any value is not a finite number or outside its range (an
// accuracy outside [0, 1], a negative loss or iteration) or an iteration
// repeats or falls: dropped, such a point would change the statistic without
// a word, kept, it would poison it.
std::vector<CurvePoint> read_curve(const json& curve) {
  if (!curve.is_array()) throw Refusal{std::string("curve is ") + curve.type_name() + ", not an array"};
  std::map<int64_t, CurvePoint> points;
  std::string first;
  int bad = 0;
  for (size_t i = 0; i < curve.size(); ++i) {
    const json& p = curve[i];
    if (std::string problem = point_problem(p); !problem.empty()) {
      std::string at = p.is_object() && p.contains("iteration") ? " (iteration " + p["iteration"].dump() + ")" : "";
      if (bad++ == 0) first = "curve point " + std::to_string(i + 1) + at + ": " + problem;
      continue;
    }
    CurvePoint c = read_point(p);
    // The trainer tests at rising iterations; a repeated or falling one is a
    // file put together by hand, and which point counts would be a guess.
    if (!points.empty() && c.iteration <= points.rbegin()->first) {
      if (bad++ == 0)
        first = "curve point " + std::to_string(i + 1) + " (iteration " + std::to_string(c.iteration) + "): " +
                (points.count(c.iteration) ? "repeats an iteration" : "comes after iteration " +
                                                                          std::to_string(points.rbegin()->first));
      continue;
    }
    points[c.iteration] = c;
  }
  if (bad) throw Refusal{first + (bad > 1 ? " (and " + std::to_string(bad - 1) + " more bad point(s))" : "")};
  std::vector<CurvePoint> out;
  for (const auto& [it, c] : points) out.push_back(c);
  return out;
}

// Finite values can still sum past the largest double: what is pooled is the
// statistic, so it is checked too.
void check_statistics(const std::vector<CurvePoint>& curve) {
  if (curve.empty()) return;  // reported where runs are placed
  for (Statistic s : {Statistic::Top10, Statistic::Best, Statistic::Final})
    if (double v = curve_statistic(curve, s); !std::isfinite(v))
      throw Refusal{std::string("curve gives a non-finite ") + to_string(s) + " statistic (" +
                    std::to_string(v) + ")"};
}

}  // namespace

std::optional<RunResult> parse_result_file(const fs::path& file, ResultProblem& problem) {
  problem = {file.string(), ""};
  try {
    const json j = read_json(file);
    if (!j.is_object()) throw Refusal{std::string("holds a JSON ") + j.type_name() + ", not an object"};
    check_schema(j);
    RunResult run;
    run.cell_id = field<std::string>(j, "cell_id");
    if (auto h = j.find("config_hash"); h != j.end() && h->is_string()) run.config_hash = h->get<std::string>();
    // The network: n counts its units (results from before it was written are CaffeNet-shaped).
    if (auto p = j.find("preset"); p != j.end()) {
      if (!p->is_string() || p->get<std::string>().empty()) throw Refusal{"\"preset\" is not a network name"};
      run.preset = p->get<std::string>();
    }
    run.status = read_status(j, run);
    // A diverged run's curve holds the NaN that stopped it: there is nothing to read.
    if (run.status != RunStatus::Diverged) run.curve = read_curve(member(j, "curve"));
    if (run.status == RunStatus::Finished) run.full_test = read_full_test(j);
    check_statistics(run.curve);
    return run;
  } catch (const Refusal& r) {
    problem.what = r.what;
  } catch (const json::exception& e) {  // what the checks above did not foresee
    problem.what = std::string("unexpected content: ") + e.what();
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Reading, leniently.

RunResult summarize_result(const json& r) {
  RunResult s;
  if (!r.is_object()) return s;
  if (auto h = r.find("config_hash"); h != r.end()) s.config_hash = h->is_string() ? h->get<std::string>() : h->dump();
  if (auto it = r.find("iterations"); it != r.end() && it->is_number_integer()) s.iterations = it->get<int64_t>();
  if (auto st = r.find("statistic"); st != r.end() && st->is_object())
    if (auto t = st->find("top10_mean_top1"); t != st->end() && t->is_number()) s.top10_mean_top1 = t->get<double>();
  auto status = r.find("status");
  if (status == r.end() || !status->is_string()) {
    auto f = r.find("finished");
    s.status = f != r.end() && f->is_boolean() && f->get<bool>() ? RunStatus::Finished : RunStatus::Unfinished;
    return s;
  }
  const std::string v = status->get<std::string>();
  if (v == "finished") {
    s.status = RunStatus::Finished;
  } else if (v == "diverged") {
    s.status = RunStatus::Diverged;
    read_divergence(r, s);
  } else {
    s.status = RunStatus::Unfinished;
  }
  return s;
}

RunResult read_result_summary(const std::string& path) { return summarize_result(read_json_leniently(path)); }

json read_json_leniently(const std::string& path) {
  std::ifstream in(path);
  if (!in) return json::value_t::discarded;
  try {
    return json::parse(in, nullptr, false);
  } catch (const std::exception&) {  // the stream's own failure: reading a folder
    return json::value_t::discarded;
  }
}

}  // namespace xfer
