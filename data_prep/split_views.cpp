// split_views.cpp: make_split_views (split_views.h).
#include "data_prep/split_views.h"

#include <cstdio>

#include "data/manifest.h"
#include "data/view_maker.h"

namespace xfer {

StoreClasses store_classes(const std::string& root) {
  const Manifest m = read_manifest(root + "/all");
  return {m.dataset, m.class_ids, m.class_names};
}

std::vector<ViewOutcome> make_split_views(const std::string& root, const SplitDef& def) {
  std::vector<ViewOutcome> out;
  for (const HalfSpec& h : def.views) {
    ViewRequest r;
    r.root = root;
    r.name = h.folder;
    r.split = def.name;
    r.definition = def.text;
    r.class_ids.assign(h.classes.begin(), h.classes.end());
    r.train_per_class = h.reduced_k;
    ViewOutcome o;
    o.folder = h.folder;
    if (holds_own_shards(root + "/" + h.folder)) {
      o.kind = ViewOutcome::Kind::OwnShards;
    } else if (view_is_current(r)) {
      o.kind = ViewOutcome::Kind::Current;
      o.view = read_view(root + "/" + h.folder);
    } else {
      o.view = make_view(r);
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

}  // namespace xfer
