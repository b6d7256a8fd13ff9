// imagenet_prep.cpp: listing ILSVRC2012 (its training images as an image
// folder's, its validation labels from val.txt or the devkit).
#include "data_prep/imagenet_prep.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

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

// The class folders: those the synsets file names (each must exist), else
// every folder under train/, sorted.
std::vector<std::string> class_wnids(const ImageNetLayoutOptions& o, const fs::path& train) {
  std::error_code ec;
  if (o.synsets.empty()) return sorted_class_folders(train.string());
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
  list_class_images(o.root, "train", s.wnids, s.train);
  if (!o.val_labels.empty())
    read_val_labels(o.val_labels, val, s);
  else if (!o.val_ground_truth.empty())
    read_val_ground_truth(o, val, s);
  return s;
}

ConvertReport convert_imagenet(const ImageNetSource& src, const ConvertOptions& o) {
  ConvertOptions imagenet = o;
  imagenet.dataset = "imagenet";
  imagenet.channels = 3;
  return convert_image_store(src.names, src.train, src.val, imagenet);
}

Manifest finalize_imagenet_all(const std::string& out_root) {
  return finalize_image_store(out_root, nlohmann::json({{"dataset", "ILSVRC2012"}}).dump());
}

}  // namespace xfer
