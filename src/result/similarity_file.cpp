// similarity_file.cpp: similarity.json's writer and strict reader.
#include "result/similarity_file.h"

#include <cmath>

#include "core/check.h"
#include "result/json_read.h"

namespace xfer {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace json_read;  // Refusal, member, field, read_json

const Comparison* SimilarityFile::find(const std::string& role, const std::string& other) const {
  for (const auto& c : comparisons)
    if (c.role == role && (other.empty() || c.other == other)) return &c;
  return nullptr;
}

namespace {

json net_object(const NetIdentity& n) {
  return {{"preset", n.preset}, {"outputs", n.outputs}, {"run", n.run}, {"weights", n.weights}};
}

NetIdentity read_net(const json& j) {
  NetIdentity n;
  n.preset = field<std::string>(j, "preset");
  n.outputs = field<int>(j, "outputs");
  n.run = field<std::string>(j, "run");
  n.weights = field<std::string>(j, "weights");
  return n;
}

// The CKA matrix: rows of equal length, every value finite and within [-1, 1].
std::vector<std::vector<double>> read_matrix(const json& j, const std::string& where) {
  if (!j.is_array() || j.empty()) throw Refusal{where + ": 'cka' is not a non-empty array of rows"};
  constexpr size_t kMaxLayers = 64;  // a net's transfer boundaries; bounds what a forged file allocates
  if (j.size() > kMaxLayers) throw Refusal{where + ": 'cka' has " + std::to_string(j.size()) + " rows"};
  std::vector<std::vector<double>> m;
  for (const auto& row : j) {
    if (!row.is_array() || row.empty() || row.size() > kMaxLayers || (!m.empty() && row.size() != m[0].size()))
      throw Refusal{where + ": 'cka' rows are not arrays of one length"};
    std::vector<double> r;
    for (const auto& v : row) {
      if (!v.is_number()) throw Refusal{where + ": a CKA value is " + std::string(v.type_name())};
      const double x = v.get<double>();
      // |CKA| <= 1: the unbiased HSIC is an inner product of U-centred Grams (Cauchy-Schwarz).
      if (!std::isfinite(x) || std::fabs(x) > 1 + 1e-9)
        throw Refusal{where + ": CKA " + std::to_string(x) + " is impossible (outside [-1, 1])"};
      r.push_back(x);
    }
    m.push_back(std::move(r));
  }
  return m;
}

SimilarityFile parse(const json& j) {
  const std::string schema = field<std::string>(j, "schema");
  const int version = field<int>(j, "schema_version");
  if (schema != kSimilaritySchema || version != kSimilaritySchemaVersion)
    throw Refusal{"schema '" + schema + "' version " + std::to_string(version) + " is not '" +
                  kSimilaritySchema + "' version " + std::to_string(kSimilaritySchemaVersion)};
  SimilarityFile f;
  f.cell = field<std::string>(j, "cell");
  const json& im = member(j, "images");
  f.images.data = field<std::string>(im, "data");
  f.images.count = field<int64_t>(im, "count");
  f.images.batch = field<int>(im, "batch");
  if (f.images.count <= 0 || f.images.batch <= 0 || f.images.batch > f.images.count)
    throw Refusal{"images: count " + std::to_string(f.images.count) + " and batch " +
                  std::to_string(f.images.batch) + " are not a sample and its minibatch"};
  const json& cs = member(j, "comparisons");
  if (!cs.is_array()) throw Refusal{"'comparisons' is not an array"};
  for (const auto& c : cs) {
    Comparison k;
    k.role = field<std::string>(c, "role");
    k.other = field<std::string>(c, "other");
    k.net = read_net(member(c, "net"));
    k.other_net = read_net(member(c, "other_net"));
    k.cka = read_matrix(member(c, "cka"), k.role + " " + k.other);
    f.comparisons.push_back(std::move(k));
  }
  return f;
}

}  // namespace

std::string similarity_to_json(const SimilarityFile& f) {
  json cs = json::array();
  for (const auto& c : f.comparisons)
    cs.push_back({{"role", c.role}, {"other", c.other}, {"net", net_object(c.net)},
                  {"other_net", net_object(c.other_net)}, {"cka", c.cka}});
  json j = {{"schema", kSimilaritySchema},
            {"schema_version", kSimilaritySchemaVersion},
            {"cell", f.cell},
            {"estimator", "debiased linear CKA: unbiased HSIC (Song et al. 2012) summed over minibatches "
                          "(Nguyen, Raghu, Kornblith 2021)"},
            {"images", {{"data", f.images.data}, {"count", f.images.count}, {"batch", f.images.batch}}},
            {"comparisons", cs}};
  return j.dump(1) + "\n";
}

SimilarityFile read_similarity_file(const std::string& path) {
  try {
    return parse(read_json(path));
  } catch (const Refusal& r) {
    XFER_FAIL(path << ": " << r.what);
  } catch (const json::exception& e) {
    XFER_FAIL(path << ": " << e.what());
  }
}

std::optional<SimilarityFile> read_similarity_file_if_present(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  return read_similarity_file(path);
}

}  // namespace xfer
