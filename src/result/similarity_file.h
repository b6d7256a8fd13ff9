// similarity_file.h: similarity.json, what `xfer_similarity --results` leaves
// beside a cell's result.json (schema "xfer.similarity", version 1): the
// debiased linear CKA (similarity/cka.h) of the cell's transfer boundaries
// with those of the networks it is compared with, and what identifies every
// input, so a retrained cell, another base or other images is recomputed and
// the analysis never pairs a similarity with a result it was not computed
// from. Written by xfer_similarity, read by analysis/ (which links no engine).
//
//   { "schema": "xfer.similarity", "schema_version": 1,
//     "cell": "half0-AB-n3-frozen",
//     "images": {"data": <data identity>, "count": 2000, "batch": 250},
//     "comparisons": [
//       { "role": "source_base", "other": "half0-A-base",
//         "net": {...}, "other_net": {...},       // preset, outputs, run, weights
//         "cka": [[...8...], ...8 rows...] } ] }  // [layer of the cell][layer of the other]
//
// Roles: a base against the other half's base of its split ("other_base"),
// against its own run's initial weights ("init", the floor), against the base
// of the same half from another replicate seed ("replicate", the ceiling); a
// transfer, random-filter or continued cell against the base its layers came
// from ("source_base") and the base of the half it trained on ("target_base").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xfer {

inline constexpr const char* kSimilarityFileName = "similarity.json";
inline constexpr const char* kSimilaritySchema = "xfer.similarity";
inline constexpr int kSimilaritySchemaVersion = 1;

struct NetIdentity {
  std::string preset;
  int outputs = 0;
  std::string run;      // the run identity (config_hash) of the checkpoint
  std::string weights;  // "crc32:bytes" of the checkpoint file, "init:<seed>" for a run's initial weights
  bool operator==(const NetIdentity&) const = default;
};

struct SimilarityImagesId {
  std::string data;  // the data identity of the folder the images come from
  int64_t count = 0;
  int batch = 0;
  bool operator==(const SimilarityImagesId&) const = default;
};

struct Comparison {
  std::string role;   // other_base, init, replicate, source_base, target_base
  std::string other;  // the other network's cell id (for "init": the cell itself)
  NetIdentity net, other_net;
  std::vector<std::vector<double>> cka;  // [layer of the cell - 1][layer of the other - 1]
};

struct SimilarityFile {
  std::string cell;
  SimilarityImagesId images;
  std::vector<Comparison> comparisons;
  const Comparison* find(const std::string& role, const std::string& other = "") const;
};

std::string similarity_to_json(const SimilarityFile& f);
// Reads and checks the file; one line naming it for each problem: the schema,
// a missing field, a CKA matrix that is not square and rectangular, a value
// that is not finite or lies outside [-1, 1] (debiased CKA may dip slightly
// below 0 for unrelated representations; it never exceeds 1 in magnitude by
// more than rounding).
SimilarityFile read_similarity_file(const std::string& path);
// nullopt when there is no such file.
std::optional<SimilarityFile> read_similarity_file_if_present(const std::string& path);

}  // namespace xfer
