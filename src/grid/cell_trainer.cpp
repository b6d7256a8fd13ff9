// cell_trainer.cpp: a cell's trainer arguments and run identity (see cell_trainer.h).
#include "grid/cell_trainer.h"

#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "config/run_identity.h"
#include "core/check.h"
#include "data/view.h"
#include "grid/cell_folder.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::string folder_of(const RunPaths& paths, const std::string& id) { return CellFolder(paths.results, id).dir(); }

// The trainer's configuration of `cell`: what the grid sets, the rest the
// trainer's defaults.
TrainConfig cell_train_config(const Grid& grid, const GridCell& cell, const RunPaths& paths, int threads) {
  const GridConfig& cfg = grid.config;
  TrainConfig t;
  t.network = cfg.network;
  t.cell_id = cell.id;
  t.fc8_outputs = cfg.fc8_outputs;
  t.solver = cell.solver;  // the grid's own keys (test_from, threads) left behind
  t.seed = static_cast<uint64_t>(cell.cell.seed);
  t.backend = cfg.backend;
  t.data = (fs::path(paths.data) / cell.cell.data_name()).string();
  t.out = folder_of(paths, cell.id);
  t.threads = threads;
  if (!cell.cell.bn.empty()) t.bn = cell.cell.bn;
  if (cell.cell.kind == CellKind::Transfer) {
    t.transfer_n = cell.cell.n;
    t.transfer_mode = cell.cell.mode;
    t.base = CellFolder(paths.results, cell.cell.base_of_source().id()).final_weights();
  } else if (cell.cell.kind == CellKind::Continued) {
    t.transfer_mode = TransferMode::Continue;  // every layer: no --transfer-n
    t.base = CellFolder(paths.results, cell.cell.base_of_source().id()).final_weights();
  } else if (cell.cell.kind == CellKind::Random) {
    t.transfer_n = cell.cell.n;
    t.transfer_mode = TransferMode::Random;
  }
  return t;
}

// The trainer options the grid sets for `cell`, in the order it passes them:
// what defines the training first, then where it runs and its paths. The
// solver options the grid has no key for (momentum, weight decay) are left
// to the trainer (its preset or --config file).
std::vector<std::string> cell_option_names(const Grid& grid, const GridCell& cell) {
  std::vector<std::string> names = {"network", "cell-id"};
  if (cell.cell.kind == CellKind::Transfer || cell.cell.kind == CellKind::Random)
    names.insert(names.end(), {"transfer-n", "transfer-mode"});
  else if (cell.cell.kind == CellKind::Continued)
    names.push_back("transfer-mode");
  if (!cell.cell.bn.empty()) names.push_back("bn");
  if (grid.config.fc8_outputs > 0) names.push_back("fc8-outputs");
  names.insert(names.end(), {"max-iter", "base-lr", "lr-step", "gamma", "test-interval", "test-start",
                             "snapshot-interval", "batch", "seed", "backend", "data", "out"});
  if (cell.cell.needs_base()) names.push_back("base");
  return names;
}

// A file's version: it is replaced by rename, so a new one has another inode.
std::optional<std::string> file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::to_string(st.st_ino) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::vector<std::string> trainer_args(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                                      int threads) {
  const TrainConfig t = cell_train_config(grid, cell, paths, threads);
  std::vector<std::string> out = train_args(t, cell_option_names(grid, cell));
  if (!grid.config.trainer_config.empty()) out.insert(out.end(), {"--config", grid.config.trainer_config});
  if (threads > 0) {
    const std::vector<std::string> th = train_args(t, {"threads"});
    out.insert(out.end(), th.begin(), th.end());
  }
  return out;
}

std::string DataIdentities::of(const TrainConfig& cfg) {
  if (cfg.data.empty()) return data_identity_of(cfg);
  const fs::path dir(cfg.data);
  std::string stamp;
  if (auto v = file_stamp((dir / "view.json").string())) {
    const auto store = file_stamp((fs::path(store_folder(cfg.data, read_view(cfg.data))) / "manifest.json").string());
    if (!store) return data_identity_of(cfg);  // throws, naming what is missing
    stamp = *v + "+" + *store;
  } else if (auto m = file_stamp((dir / "manifest.json").string())) {
    stamp = *m;
  } else {
    return data_identity_of(cfg);  // throws, naming what is missing
  }
  auto it = seen_.find(cfg.data);
  if (it == seen_.end() || it->second.first != stamp)
    it = seen_.insert_or_assign(cfg.data, std::make_pair(stamp, data_identity_of(cfg))).first;
  return it->second.second;
}

CellIdentity cell_identity(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                           DataIdentities& identities, const std::string& recorded_data) {
  std::vector<std::string> args = trainer_args(grid, cell, paths, 0);
  args.insert(args.begin(), "xfer_train");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const std::optional<TrainConfig> cfg = parse_train_config(int(argv.size()), argv.data());
  XFER_CHECK(cfg, "the trainer arguments of " << cell.id << " ask for help, not a run");
  CellIdentity id;
  try {
    id.data = identities.of(*cfg);
  } catch (const std::exception&) {
    // Data on a scratch file system that is not mounted now has not changed:
    // keep what was recorded rather than call finished cells stale.
    id.data = recorded_data.empty() ? "unreadable" : recorded_data;
  }
  const std::string base =
      cell.cell.needs_base()
          ? CellFolder(paths.results, cell.cell.base_of_source().id()).result().config_hash
          : "";
  id.run = run_identity(*cfg, id.data, base);
  return id;
}

}  // namespace xfer
