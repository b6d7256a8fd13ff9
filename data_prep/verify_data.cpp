// verify_data.cpp (xfer_verify_data): checks data folders against their
// manifests: every shard and the mean must still match the CRC-32 recorded
// when it was written. Takes split-half folders or roots holding them (e.g.
// data/fmnist, data/imagenet), of any dataset. Exit 0 when every file
// matches, 1 with one line per bad file otherwise.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>

#include "core/cli.h"
#include "core/exit_codes.h"
#include "data/shard_format.h"
#include "data/view.h"
#include "data_prep/progress.h"
#include "data_prep/split_writer.h"
#include "data_prep/tool_main.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace xfer;

namespace {

// The data folders an argument names: itself when it holds a manifest, else
// its subfolders that do. Problems go to `bad`.
std::vector<std::string> data_folders(const std::string& arg, std::vector<std::string>& bad) {
  std::error_code ec;
  if (!fs::is_directory(arg, ec)) {
    bad.push_back(arg + ": missing data folder");
    return {};
  }
  auto is_folder = [&](const fs::path& p) {
    return fs::exists(p / "manifest.json", ec) || fs::exists(p / "view.json", ec);
  };
  if (is_folder(arg)) return {arg};
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(arg, ec))
    if (e.is_directory() && is_folder(e.path())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  if (out.empty())
    bad.push_back(arg + ": no data folder (no manifest.json or view.json in it or its subfolders)");
  return out;
}

// The files the manifest of `dir` vouches for; problems of the folder itself
// go to `bad`, shards it does not list are mentioned on stderr.
std::vector<RecordedFile> folder_files(const std::string& dir, std::vector<std::string>& bad) {
  if (is_view_folder(dir)) {
    // A view vouches for its mean; its images are its store's, checked with
    // the store (open_data_folder has checked it is still the same store).
    try {
      const DataFolder f = open_data_folder(dir);
      std::vector<RecordedFile> files{{f.mean_path(), *f.mean_sum()}};
      for (auto& r : recorded_files(f.store_dir, f.store)) files.push_back(std::move(r));
      return files;
    } catch (const std::exception& e) {
      bad.push_back(e.what());
      return {};
    }
  }
  Manifest m;
  try {
    m = read_manifest(dir);
  } catch (const std::exception& e) {
    bad.push_back(e.what());
    return {};
  }
  if (!m.mean_sum)
    bad.push_back(dir + "/manifest.json: no checksum recorded for " + m.mean_file +
                  " (written by an older version; rerun the prep tool that made this folder)");
  auto files = recorded_files(dir, m);
  std::set<std::string> listed;
  for (const auto& f : files) listed.insert(f.path);
  const std::regex shard_re(R"((train|val)-\d{5}\.h5)");
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, shard_re) && !listed.count(dir + "/" + name))
      std::fprintf(stderr, "note: %s/%s is not listed in the manifest (not read by the loader)\n",
                   dir.c_str(), name.c_str());
  }
  return files;
}

// Checks every file against its recorded sum, `threads` at once; the lines
// of the bad ones (empty for a match), in the order of `files`.
std::vector<std::string> check_files(const std::vector<RecordedFile>& files, int threads) {
  int64_t total_mb = 0;
  for (const auto& f : files) total_mb += (f.sum.bytes + (1 << 20) - 1) >> 20;
  std::vector<std::string> lines(files.size());
  Progress progress("verify", total_mb, "MB");
  parallel_for(static_cast<int64_t>(files.size()), threads, [&](int64_t i) {
    const auto& f = files[static_cast<size_t>(i)];
    try {
      lines[static_cast<size_t>(i)] = check_file(f.path, f.sum);
    } catch (const std::exception& e) {
      lines[static_cast<size_t>(i)] = e.what();
    }
    progress.add((f.sum.bytes + (1 << 20) - 1) >> 20);
  });
  progress.finish();
  return lines;
}

int verify(const std::vector<std::string>& dirs, int threads) {
  if (dirs.empty()) throw cli::UsageError("no folder given (xfer_verify_data DIR...)");
  std::vector<std::string> bad;
  std::vector<RecordedFile> files;
  std::set<std::string> seen;  // a store's files once, however many views share it
  size_t folders = 0;
  for (const auto& d : dirs)
    for (const auto& f : data_folders(d, bad)) {
      ++folders;
      for (auto& r : folder_files(f, bad))
        if (seen.insert(fs::path(r.path).lexically_normal().string()).second) files.push_back(std::move(r));
    }
  for (const auto& l : check_files(files, threads))
    if (!l.empty()) bad.push_back(l);
  for (const auto& b : bad) std::printf("%s\n", b.c_str());
  std::fprintf(stderr, "%zu files in %zu folders: %s\n", files.size(), folders,
               bad.empty() ? "all match their checksums"
                           : (std::to_string(bad.size()) + " bad; rerun the prep tool that made "
                              "a folder: it converts damaged shards again").c_str());
  return bad.empty() ? kExitDone : kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> dirs;
  int threads = 4;
  po::positional_options_description pos;
  pos.add("dir", -1);
  auto describe = [&] {
    po::options_description desc(
        "xfer_verify_data DIR...: check data folders (or roots of them) against the CRC-32s\n"
        "in their manifests. Exit 0 when every file matches, 1 with one line per bad file.\n\n"
        "Options");
    cli::add_common_options(desc);
    desc.add_options()(
        "dir", po::value(&dirs)->composing(), "a data folder, or a root holding data folders")(
        "threads", po::value(&threads)->default_value(threads), "files read at once");
    return desc;
  };
  return prep_tool_main(argc, argv, "xfer_verify_data", describe, [&] { return verify(dirs, threads); }, &pos);
}
