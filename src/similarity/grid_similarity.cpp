// grid_similarity.cpp: see grid_similarity.h.
#include "similarity/grid_similarity.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/check.h"
#include "core/cpus.h"
#include "data/view.h"
#include "grid/cell.h"
#include "grid/cell_folder.h"
#include "io/atomic_file.h"
#include "net/checkpoint.h"
#include "result/similarity_file.h"

namespace xfer {

namespace fs = std::filesystem;

namespace {

using GramSet = std::vector<std::vector<Gram>>;  // [minibatch][boundary]

// A finished cell of the results, with its final weights.
struct Member {
  Cell cell;
  std::string id, weights;
};

// One comparison a cell asks for: its role and the other network.
struct Wanted {
  std::string role, other;
  SimilarityNetName other_net;
};

std::map<std::string, Member> finished_members(const std::string& results) {
  std::map<std::string, Member> m;
  for (const auto& e : fs::directory_iterator(results)) {
    if (!e.is_directory()) continue;
    const std::string id = e.path().filename().string();
    const auto cell = parse_cell_id(id);
    if (!cell) continue;
    const CellFolder folder(results, id);
    if (!folder.finished() || !fs::exists(folder.final_weights())) continue;
    m[id] = Member{*cell, id, folder.final_weights()};
  }
  return m;
}

// What `c` is compared with (grid_similarity.h); a missing other network is said and counted.
std::vector<Wanted> wanted_for(const Member& c, const std::map<std::string, Member>& members, int& left_out) {
  std::vector<Wanted> w;
  auto add = [&](const std::string& role, const Cell& other) {
    const std::string id = other.id();
    auto it = members.find(id);
    if (it == members.end()) {
      std::printf("%s: no finished %s: its %s comparison is left out\n", c.id.c_str(), id.c_str(), role.c_str());
      ++left_out;
      return;
    }
    w.push_back({role, id, SimilarityNetName{it->second.weights, false}});
  };
  const Cell& k = c.cell;
  switch (k.kind) {
    case CellKind::Base:
      if (k.reduced_k > 0) break;
      w.push_back({"init", c.id, SimilarityNetName{c.weights, true}});
      if (k.target == 'A' || k.target == 'B') add("other_base", base_cell(k.split, k.target == 'A' ? 'B' : 'A', k.seed));
      for (const auto& [id, m] : members)
        if (m.cell.kind == CellKind::Base && m.cell.reduced_k == 0 && m.cell.split == k.split &&
            m.cell.target == k.target && m.cell.seed != k.seed)
          w.push_back({"replicate", id, SimilarityNetName{m.weights, false}});
      break;
    case CellKind::Transfer:
      add("source_base", base_cell(k.split, k.source, k.seed));
      add("target_base", base_cell(k.split, k.target, k.seed));
      break;
    case CellKind::Continued:
      add("source_base", k.base_of_source());
      break;
    case CellKind::Random:
      add("target_base", base_cell(k.split, k.target, k.seed));
      break;
  }
  return w;
}


// The folder a checkpoint's run trained on (its config's `data`).
std::string trained_on(const std::string& checkpoint) {
  std::istringstream in(read_checkpoint_state(checkpoint).config_ini);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("data = ", 0) == 0) return line.substr(7);
  XFER_FAIL(checkpoint << ": its configuration names no data folder");
}

class GridSimilarity {
 public:
  explicit GridSimilarity(const GridSimilarityOptions& o)
      : o_(o), threads_(o.threads > 0 ? o.threads : usable_cpus()), be_(make_backend(o.backend, 0, threads_)) {}

  GridSimilarityCount run() {
    XFER_CHECK(fs::is_directory(o_.results), o_.results << ": no such results folder");
    members_ = finished_members(o_.results);
    XFER_CHECK(!members_.empty(), o_.results << ": no finished cell with final weights (final.h5)");
    im_ = o_.images;
    if (im_.dir.empty()) im_.dir = open_data_folder(trained_on(members_.begin()->second.weights)).store_dir;
    images_id_ = SimilarityImagesId{data_folder_identity(im_.dir), im_.images, im_.batch};
    std::printf("xfer_similarity: %zu finished cells of %s, each on the first %lld validation images of %s "
                "in minibatches of %d\n",
                members_.size(), o_.results.c_str(), static_cast<long long>(im_.images), im_.dir.c_str(), im_.batch);
    for (const auto& [id, m] : members_) one_cell(m);
    std::printf("xfer_similarity: %d computed, %d kept (already current), %d failed, %d comparison(s) left out\n",
                count_.computed, count_.kept, count_.failed, count_.comparisons_left_out);
    return count_;
  }

 private:
  const GramSet& grams(const SimilarityNetName& n) {
    auto it = cache_.find(n.str());
    if (it != cache_.end()) return it->second;
    RepresentationStream s(*be_, n, im_, threads_);
    return cache_[n.str()] = all_grams(s);
  }

  void one_cell(const Member& m) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<Wanted> wanted = wanted_for(m, members_, count_.comparisons_left_out);
    if (wanted.empty()) return;
    const std::string path = (fs::path(o_.results) / m.id / kSimilarityFileName).string();
    try {
      SimilarityFile f = expected(m, wanted);
      if (current(path, f)) {
        ++count_.kept;
        return;
      }
      compute(m, wanted, f);
      write_file_atomic(path, similarity_to_json(f));
      ++count_.computed;
      std::printf("%s: %zu comparison(s) in %.1f s\n", m.id.c_str(), wanted.size(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } catch (const std::exception& e) {
      std::printf("%s: error: %s (left out)\n", m.id.c_str(), e.what());
      ++count_.failed;
    }
    std::fflush(stdout);
  }

  // What identifies a network, read (its checkpoint checksummed) once a run:
  // a base is named by every cell compared with it.
  const NetIdentity& identity_of(const SimilarityNetName& n) {
    auto it = identities_.find(n.str());
    if (it != identities_.end()) return it->second;
    const SimilarityNetIdentity s = similarity_net_identity(n);
    return identities_[n.str()] = NetIdentity{s.preset, s.num_outputs, s.run_identity, s.weights};
  }

  // The file as it will be, less the values: what identifies each comparison.
  SimilarityFile expected(const Member& m, const std::vector<Wanted>& wanted) {
    SimilarityFile f;
    f.cell = m.id;
    f.images = images_id_;
    const NetIdentity self = identity_of({m.weights, false});
    for (const auto& w : wanted) f.comparisons.push_back(Comparison{w.role, w.other, self, identity_of(w.other_net), {}});
    return f;
  }

  // Whether `path` already holds these comparisons of these networks on these images.
  static bool current(const std::string& path, const SimilarityFile& want) {
    std::optional<SimilarityFile> have;
    try {
      have = read_similarity_file_if_present(path);
    } catch (const std::exception& e) {
      std::printf("%s (computed again)\n", e.what());
      return false;
    }
    if (!have || have->cell != want.cell || !(have->images == want.images) ||
        have->comparisons.size() != want.comparisons.size())
      return false;
    for (size_t i = 0; i < want.comparisons.size(); ++i) {
      const Comparison &a = have->comparisons[i], &b = want.comparisons[i];
      if (a.role != b.role || a.other != b.other || !(a.net == b.net) || !(a.other_net == b.other_net)) return false;
    }
    return true;
  }

  void compute(const Member& m, const std::vector<Wanted>& wanted, SimilarityFile& f) {
    const SimilarityNetName self{m.weights, false};
    std::vector<const GramSet*> others;
    for (const auto& w : wanted) others.push_back(&grams(w.other_net));
    std::vector<CkaSums> sums;
    const bool is_base = m.cell.kind == CellKind::Base;
    if (is_base) {  // kept: the other cells of its split are compared with it
      const GramSet& mine = grams(self);
      for (size_t i = 0; i < wanted.size(); ++i) sums.push_back(pair_sums(mine, *others[i]));
    } else {
      RepresentationStream s(*be_, self, im_, threads_);
      std::vector<Gram> g;
      for (size_t mb = 0; s.next(g); ++mb)
        for (size_t i = 0; i < wanted.size(); ++i) {
          if (sums.size() <= i) sums.emplace_back(int(g.size()), int((*others[i])[mb].size()));
          sums[i].add(g, (*others[i])[mb]);
        }
    }
    for (size_t i = 0; i < wanted.size(); ++i) {
      Comparison& c = f.comparisons[i];
      c.cka.assign(sums[i].layers_a(), std::vector<double>(sums[i].layers_b()));
      for (int a = 1; a <= sums[i].layers_a(); ++a)
        for (int b = 1; b <= sums[i].layers_b(); ++b) c.cka[a - 1][b - 1] = sums[i].cka(a, b, m.id, wanted[i].other_net.str());
    }
  }

  static CkaSums pair_sums(const GramSet& a, const GramSet& b) {
    XFER_CHECK(a.size() == b.size() && !a.empty(), "Gram sets of " << a.size() << " and " << b.size() << " minibatches");
    CkaSums s(int(a[0].size()), int(b[0].size()));
    for (size_t mb = 0; mb < a.size(); ++mb) s.add(a[mb], b[mb]);
    return s;
  }

  GridSimilarityOptions o_;
  SimilarityImages im_;
  int threads_;
  std::unique_ptr<Backend> be_;
  std::map<std::string, Member> members_;
  SimilarityImagesId images_id_;
  std::map<std::string, GramSet> cache_;
  std::map<std::string, NetIdentity> identities_;
  GridSimilarityCount count_;
};

}  // namespace

GridSimilarityCount compute_grid_similarity(const GridSimilarityOptions& o) { return GridSimilarity(o).run(); }

}  // namespace xfer
