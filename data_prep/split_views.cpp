// split_views.cpp: make_split_views (split_views.h).
#include "data_prep/split_views.h"

#include <cstdio>

#include "data/manifest.h"
#include "data/shard_format.h"
#include "data_prep/view_maker.h"

namespace xfer {

StoreClasses store_classes(const std::string& root) {
  const Manifest m = read_manifest(root + "/all");
  return {m.dataset, m.class_ids, m.class_names};
}

std::vector<ViewOutcome> make_split_views(const std::string& root, const SplitDef& def) {
  std::vector<ViewOutcome> out;
  for (const ViewSpec& v : def.views) {
    ViewOutcome o;
    o.folder = v.name;
    if (holds_own_shards(root + "/" + v.name)) {
      o.kind = ViewOutcome::Kind::OwnShards;
    } else if (view_is_current(root, v)) {
      o.kind = ViewOutcome::Kind::Current;
      o.view = read_view(root + "/" + v.name);
    } else {
      o.view = make_view(root, def, v);
    }
    out.push_back(std::move(o));
  }
  return out;
}

void print_views(const std::vector<ViewOutcome>& done) {
  for (const auto& o : done) {
    if (o.kind == ViewOutcome::Kind::OwnShards) {
      std::printf("%-10s holds its own shards (copied by an older version): kept as it is; remove "
                  "it and run again to make it a view\n", o.folder.c_str());
      continue;
    }
    std::string names;
    for (const auto& n : o.view.class_names) names += (names.empty() ? "" : ", ") + n;
    if (names.size() > 60) names = names.substr(0, 57) + "...";
    std::printf("%-10s %7lld %7lld %6zu  %s%s\n", o.folder.c_str(),
                static_cast<long long>(o.view.num_images("train")),
                static_cast<long long>(o.view.num_images("val")), o.view.class_ids.size(),
                o.kind == ViewOutcome::Kind::Current ? "(current) " : "", names.c_str());
  }
}

std::vector<std::string> split_args(const std::vector<int>& seeds, const std::vector<std::string>& splits,
                                    const std::vector<int>& reduced) {
  std::vector<std::string> out;
  for (int s : seeds) out.push_back("half" + std::to_string(s));
  out.insert(out.end(), splits.begin(), splits.end());
  for (int k : reduced) out.push_back("all-k" + std::to_string(k));
  return out;
}

std::vector<ViewOutcome> make_views_and_report(const std::string& root, const std::vector<std::string>& defs,
                                               const std::vector<SplitDef>& extra) {
  const Manifest all = read_manifest(root + "/all");
  const StoreClasses classes{all.dataset, all.class_ids, all.class_names};
  std::vector<SplitDef> todo;
  for (const auto& d : defs) todo.push_back(split_definition(d, classes));  // all checked first
  todo.insert(todo.end(), extra.begin(), extra.end());
  std::vector<ViewOutcome> done;
  for (const auto& d : todo)
    for (auto& v : make_split_views(root, d)) done.push_back(std::move(v));
  auto count = [&](const char* s) {
    auto it = all.subsets.find(s);
    return it == all.subsets.end() ? int64_t{0} : it->second.num_images;
  };
  size_t skipped = 0;
  for (const auto& [name, sub] : all.subsets) skipped += sub.skipped.size();
  std::printf("%-10s %7s %7s %6s  classes\n", "folder", "train", "val", "K");
  std::printf("%-10s %7lld %7lld %6zu  (the store: %dx%dx%d, %zu inputs skipped)\n", "all",
              static_cast<long long>(count("train")), static_cast<long long>(count("val")),
              all.class_ids.size(), all.channels, all.height, all.width, skipped);
  print_views(done);
  return done;
}

}  // namespace xfer
