// imagenet_prep.cpp: listing ILSVRC2012 and converting it to shards.
#include "data_prep/imagenet_prep.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "data_prep/image_codec.h"
#include "data_prep/progress.h"
#include "data_prep/split_writer.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::vector<std::string> read_lines(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open " + what);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> sorted_entries(const fs::path& dir, bool dirs) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (dirs ? e.is_directory() : e.is_regular_file())
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

namespace {

// The class folders: those the synsets file names (each must exist), else
// every folder under train/, sorted.
std::vector<std::string> class_wnids(const ImageNetLayoutOptions& o, const fs::path& train) {
  std::error_code ec;
  if (o.synsets.empty()) return sorted_entries(train, true);
  std::vector<std::string> wnids;
  for (const auto& l : read_lines(o.synsets, "synsets file")) wnids.push_back(l.substr(0, l.find(' ')));
  for (const auto& w : wnids)
    if (!fs::is_directory(train / w, ec))
      throw std::runtime_error((train / w).string() + ": missing class folder (named in " + o.synsets + ")");
  return wnids;
}

// "n01440764 tench, Tinca tinca" from the words file where it names the class.
void name_classes(const std::string& words_file, ImageNetSource& s) {
  s.names = s.wnids;
  if (words_file.empty()) return;
  std::map<std::string, std::string> words;
  for (const auto& l : read_lines(words_file, "synset words file")) {
    auto sp = l.find(' ');
    if (sp != std::string::npos) words[l.substr(0, sp)] = l.substr(sp + 1);
  }
  for (size_t i = 0; i < s.wnids.size(); ++i)
    if (words.count(s.wnids[i])) s.names[i] = s.wnids[i] + " " + words[s.wnids[i]];
}

void list_train_images(const fs::path& train, ImageNetSource& s) {
  for (size_t c = 0; c < s.wnids.size(); ++c) {
    const fs::path cdir = train / s.wnids[c];
    auto files = sorted_entries(cdir, false);
    if (files.empty()) throw std::runtime_error(cdir.string() + ": empty class folder");
    for (const auto& f : files)
      s.train.push_back({(cdir / f).string(), "train/" + s.wnids[c] + "/" + f, static_cast<int32_t>(c)});
  }
}

// One validation image of val/, its label checked against the classes.
void add_val(ImageNetSource& s, const fs::path& val, const std::string& file, int32_t label,
             const std::string& origin) {
  const int32_t k = static_cast<int32_t>(s.wnids.size());
  if (label < 0 || label >= k)
    throw std::runtime_error(origin + ": label " + std::to_string(label) + " of " + file +
                             " out of range [0, " + std::to_string(k) + ")");
  const fs::path p = val / file;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec))
    throw std::runtime_error(p.string() + ": missing validation image (listed in " + origin + ")");
  s.val.push_back({p.string(), "val/" + file, label});
}

// Caffe's val.txt: "file label" lines, labels in the classes' order.
void read_val_labels(const std::string& path, const fs::path& val, ImageNetSource& s) {
  int lineno = 0;
  for (const auto& l : read_lines(path, "validation label file")) {
    ++lineno;
    std::istringstream ss(l);
    std::string file;
    long label = -1;
    if (!(ss >> file >> label))
      throw std::runtime_error(path + ":" + std::to_string(lineno) + ": expected 'file label'");
    add_val(s, val, file, static_cast<int32_t>(label), path);
  }
}

// The devkit's ground truth: one ILSVRC2012_ID a line, mapped to a class
// through the devkit's synsets (WNIDs in ILSVRC2012_ID order).
void read_val_ground_truth(const ImageNetLayoutOptions& o, const fs::path& val, ImageNetSource& s) {
  if (o.devkit_synsets.empty())
    throw std::runtime_error(o.val_ground_truth +
                             ": the devkit ground truth needs --devkit-synsets (WNIDs in "
                             "ILSVRC2012_ID order) to map its ids to classes");
  auto id_wnids = read_lines(o.devkit_synsets, "devkit synsets file");
  std::map<std::string, int32_t> index;
  for (size_t c = 0; c < s.wnids.size(); ++c) index[s.wnids[c]] = static_cast<int32_t>(c);
  int lineno = 0;
  for (const auto& l : read_lines(o.val_ground_truth, "validation ground truth")) {
    ++lineno;
    const long id = std::stol(l);
    if (id < 1 || id > static_cast<long>(id_wnids.size()))
      throw std::runtime_error(o.val_ground_truth + ":" + std::to_string(lineno) + ": ILSVRC2012_ID " + l +
                               " out of range");
    const std::string wnid = id_wnids[static_cast<size_t>(id - 1)].substr(0, 9);
    auto it = index.find(wnid);
    if (it == index.end())
      throw std::runtime_error(o.val_ground_truth + ":" + std::to_string(lineno) + ": class " + wnid +
                               " has no training folder");
    char name[64];
    std::snprintf(name, sizeof name, "ILSVRC2012_val_%08d.JPEG", lineno);
    add_val(s, val, name, it->second, o.val_ground_truth);
  }
}

}  // namespace

ImageNetSource scan_imagenet(const ImageNetLayoutOptions& o) {
  const fs::path root(o.root), train = root / "train", val = root / "val";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::runtime_error(o.root + ": missing ImageNet directory");
  if (!fs::is_directory(train, ec))
    throw std::runtime_error(train.string() + ": missing training folder (train/<wnid>/*.JPEG)");
  ImageNetSource s;
  s.wnids = class_wnids(o, train);
  if (s.wnids.empty()) throw std::runtime_error(train.string() + ": no class folders");
  name_classes(o.words, s);
  list_train_images(train, s);
  if (!o.val_labels.empty())
    read_val_labels(o.val_labels, val, s);
  else if (!o.val_ground_truth.empty())
    read_val_ground_truth(o, val, s);
  return s;
}

void load_and_warp(const std::string& path, int size, bool fast, uint8_t* chw) {
  const auto bytes = read_file_bytes(path);
  decode_and_warp(bytes.data(), bytes.size(), size, size, chw, fast);
}

namespace {

// Converts one subset's images into this part's shards of `dir`: threads
// decode a block while this thread writes the one before. Returns the
// subset's number of shards.
int convert_subset(const std::vector<ImageNetItem>& items, const ShardMeta& meta, const std::string& dir,
                   const ConvertOptions& o, ConvertReport& rep) {
  const std::string& subset = meta.subset;
  const size_t bytes = meta.image_bytes();
  // This part's share, for the progress bar.
  int64_t mine = 0;
  const int64_t shards = (static_cast<int64_t>(items.size()) + o.shard_size - 1) / o.shard_size;
  for (int64_t j = o.part; j < shards; j += o.parts)
    mine += std::min<int64_t>(o.shard_size, static_cast<int64_t>(items.size()) - j * o.shard_size);
  Progress progress("imagenet " + subset, mine);
  // Two buffers: the threads decode block k+1 while this thread writes
  // block k (one HDF5 writer; decoding dominates but writing is not free).
  const int64_t block = 32 * std::max(1, o.threads);
  struct Slot {
    std::vector<uint8_t> images;
    std::vector<std::string> errors;
  };
  Slot slots[2];
  for (auto& sl : slots) {
    sl.images.resize(static_cast<size_t>(block) * bytes);
    sl.errors.resize(static_cast<size_t>(block));
  }
  auto decode = [&](int64_t b0, int64_t bn, Slot& sl) {
    parallel_for(bn, o.threads, [&](int64_t i) {
      sl.errors[static_cast<size_t>(i)].clear();
      try {
        load_and_warp(items[static_cast<size_t>(b0 + i)].path, o.size, o.fast_decode,
                      sl.images.data() + static_cast<size_t>(i) * bytes);
      } catch (const std::exception& e) {
        sl.errors[static_cast<size_t>(i)] = e.what();
        if (sl.errors[static_cast<size_t>(i)].empty()) sl.errors[static_cast<size_t>(i)] = "?";
      }
      progress.add(1);
    });
  };
  const int n = write_planned_shards(
      dir, meta, static_cast<int64_t>(items.size()), o.shard_size, o.part, o.parts,
      [&](int64_t first, int64_t count, ShardWriter& w) {
        std::future<void> pending = std::async(std::launch::async, decode, first,
                                               std::min(block, count), std::ref(slots[0]));
        for (int64_t b0 = first, k = 0; b0 < first + count; b0 += block, ++k) {
          const int64_t bn = std::min(block, first + count - b0);
          pending.get();
          const int64_t next = b0 + block;
          if (next < first + count)
            pending = std::async(std::launch::async, decode, next,
                                 std::min(block, first + count - next), std::ref(slots[(k + 1) % 2]));
          Slot& sl = slots[k % 2];
          for (int64_t i = 0; i < bn; ++i) {
            const ImageNetItem& it = items[static_cast<size_t>(b0 + i)];
            const std::string& err = sl.errors[static_cast<size_t>(i)];
            if (!err.empty()) {
              w.add_skipped(it.key, err);
              rep.skipped.push_back(it.key + ": " + err);
              continue;
            }
            w.add(sl.images.data() + static_cast<size_t>(i) * bytes, it.label, it.label, it.key);
            ++rep.converted;
          }
        }
      },
      &progress);
  progress.finish();
  return n;
}

}  // namespace

ConvertReport convert_imagenet(const ImageNetSource& src, const ConvertOptions& o) {
  if (o.parts < 1 || o.part < 0 || o.part >= o.parts)
    throw std::runtime_error("part " + std::to_string(o.part) + " outside 0.." +
                             std::to_string(o.parts - 1));
  if (src.train.empty()) throw std::runtime_error(o.out_root + ": empty split (no training images)");
  const std::string dir = o.out_root + "/all";
  fs::create_directories(dir);
  ShardMeta meta;
  meta.dataset = "imagenet";
  meta.split = "all";
  meta.channels = 3;
  meta.height = meta.width = o.size;
  for (size_t c = 0; c < src.wnids.size(); ++c) {
    meta.class_ids.push_back(static_cast<int32_t>(c));
    meta.class_names.push_back(src.names[c]);
  }
  ConvertReport rep;
  for (const std::string subset : {"train", "val"}) {
    const auto& items = subset == "train" ? src.train : src.val;
    if (items.empty()) continue;
    meta.subset = subset;
    (subset == "train" ? rep.train_shards : rep.val_shards) = convert_subset(items, meta, dir, o, rep);
  }
  nlohmann::json plan = {{"train_shards", rep.train_shards},
                         {"val_shards", rep.val_shards},
                         {"train_images", src.train.size()},
                         {"val_images", src.val.size()},
                         {"size", o.size},
                         {"shard_size", o.shard_size},
                         {"fast_decode", o.fast_decode}};
  // Every part writes the same plan; each under its own temporary name.
  write_file_atomic(dir + "/plan.json", plan.dump(1) + "\n");
  return rep;
}

Manifest finalize_imagenet_all(const std::string& out_root) {
  const std::string dir = out_root + "/all";
  std::ifstream in(dir + "/plan.json");
  if (!in) throw std::runtime_error(dir + "/plan.json: missing (run the convert stage first)");
  nlohmann::json plan = nlohmann::json::parse(in);
  nlohmann::json source = {{"dataset", "ILSVRC2012"}, {"plan", plan}};
  return finalize_split_dir(dir, source.dump(), plan.at("train_shards").get<int>(),
                            plan.at("val_shards").get<int>());
}

}  // namespace xfer
