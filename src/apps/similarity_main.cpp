// similarity_main.cpp (xfer_similarity): debiased linear CKA between the
// layers of two networks (similarity/cka.h) on the same images, or for every
// finished cell of a grid's results (similarity/grid_similarity.h).
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>

#include "core/cli.h"
#include "core/cpus.h"
#include "core/exit_codes.h"
#include "core/provenance.h"
#include "io/h5.h"
#include "similarity/grid_similarity.h"

namespace po = boost::program_options;
using namespace xfer;

namespace {

struct Options {
  std::vector<std::string> nets;
  std::string results, format = "md", backend = "cpu";
  SimilarityImages images;
  int threads = 0;
};

po::options_description describe(Options& o) {
  po::options_description desc(
      "xfer_similarity NET_A NET_B --data DIR [--images N] [--batch B] [--format md|csv]\n"
      "xfer_similarity --results R [--images N] [--batch B] [--data DIR]\n"
      "Debiased linear CKA (unbiased HSIC summed over minibatches) between every transfer\n"
      "boundary of NET_A and every one of NET_B (1..7: what layer n + 1 receives; 8: the\n"
      "logits) on the first N validation images of DIR, each net with its own mean image.\n"
      "A NET is a checkpoint (final.h5), or init@CHECKPOINT: that run's initial weights.\n"
      "With --results: similarity.json beside each finished cell's result.json (bases\n"
      "against each other, their initial weights and replicates; transfers against their\n"
      "source and target bases), for `xfer_tables --table generality`.\n\nOptions");
  cli::add_common_options(desc);
  desc.add_options()("data", po::value(&o.images.dir), "a data folder (a store or a view); with --results, "
                                                       "default: the store of the grid's data")(
      "images", po::value(&o.images.images)->default_value(2000), "validation images, in stored order")(
      "batch", po::value(&o.images.batch)->default_value(250),
      "images per minibatch of the estimator (--images: the full-sample estimate)")(
      "format", po::value(&o.format)->default_value("md"), "md (a matrix) or csv")(
      "results", po::value(&o.results), "a grid's results folder: every finished cell")(
      "backend", po::value(&o.backend)->default_value("cpu"), "cpu or cuda")(
      "threads", po::value(&o.threads)->default_value(0), "CPU threads (0: every core this process may use)")(
      "loader-threads", po::value(&o.images.loader_threads)->default_value(2), "threads preparing images")(
      "nets", po::value(&o.nets)->multitoken(), "the two networks");
  return desc;
}

void check_usage(const Options& o) {
  if (o.format != "md" && o.format != "csv") throw cli::UsageError("--format must be md or csv, not '" + o.format + "'");
  if (o.images.images <= 0) throw cli::UsageError("--images must be positive");
  if (o.images.batch < kMinCkaBatch)
    throw cli::UsageError("--batch " + std::to_string(o.images.batch) + ": the unbiased HSIC needs minibatches of " +
                          std::to_string(kMinCkaBatch) + " images or more");
  if (o.threads < 0 || o.threads > 1024) throw cli::UsageError("--threads must be in 0..1024");
  if (o.images.loader_threads < 1 || o.images.loader_threads > 64)
    throw cli::UsageError("--loader-threads must be in 1..64");
  if (o.results.empty() && o.nets.size() != 2) throw cli::UsageError("give two networks, or --results");
  if (!o.results.empty() && !o.nets.empty()) throw cli::UsageError("give two networks or --results, not both");
  if (o.results.empty() && o.images.dir.empty()) throw cli::UsageError("--data: the folder whose images both nets see");
}

void print(const Options& o, const SimilarityNetName& a, const SimilarityNetName& b, const CkaSums& s) {
  if (o.format == "csv") {
    std::printf("net_a,net_b,layer_a,layer_b,images,cka\n");
    for (int i = 1; i <= s.layers_a(); ++i)
      for (int j = 1; j <= s.layers_b(); ++j)
        std::printf("%s,%s,%d,%d,%lld,%.9f\n", a.str().c_str(), b.str().c_str(), i, j,
                    static_cast<long long>(s.images()), s.cka(i, j, a.str(), b.str()));
    return;
  }
  std::printf("Debiased linear CKA on %lld images (%d minibatches): rows %s, columns %s\n\n| layer |",
              static_cast<long long>(s.images()), s.minibatches(), a.str().c_str(), b.str().c_str());
  for (int j = 1; j <= s.layers_b(); ++j) std::printf(" %d |", j);
  std::printf("\n|---|");
  for (int j = 1; j <= s.layers_b(); ++j) std::printf("---:|");
  std::printf("\n");
  for (int i = 1; i <= s.layers_a(); ++i) {
    std::printf("| %d |", i);
    for (int j = 1; j <= s.layers_b(); ++j) std::printf(" %.4f |", s.cka(i, j, a.str(), b.str()));
    std::printf("\n");
  }
}

int two_nets(const Options& o) {
  const SimilarityNetName a = parse_similarity_net(o.nets[0]), b = parse_similarity_net(o.nets[1]);
  check_same_input(a, b);
  const int threads = o.threads > 0 ? o.threads : usable_cpus();
  const auto be = make_backend(o.backend, 0, threads);
  RepresentationStream sa(*be, a, o.images, threads), sb(*be, b, o.images, threads);
  const auto t0 = std::chrono::steady_clock::now();  // the images and the arithmetic, not the loading
  CkaSums sums(sa.boundary_count(), sb.boundary_count());
  std::vector<Gram> ga, gb;
  while (sa.next(ga)) {
    sb.next(gb);
    sums.add(ga, gb);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print(o, a, b, sums);
  std::fprintf(stderr, "# xfer_similarity: %lld images in %.3f s: %.1f images/s\n",
               static_cast<long long>(sums.images()), s, double(sums.images()) / s);
  return kExitDone;
}

int run(const Options& o) {
  check_usage(o);
  if (o.results.empty()) return two_nets(o);
  GridSimilarityOptions g;
  g.results = o.results;
  g.images = o.images;
  g.backend = o.backend;
  g.threads = o.threads;
  return compute_grid_similarity(g).failed ? kExitError : kExitDone;
}

}  // namespace

int main(int argc, char** argv) {
  if (print_version_if_asked(argc, argv, "xfer_similarity", h5_library_versions())) return kExitDone;
  Options o;
  const po::options_description desc = describe(o);
  po::positional_options_description pos;
  pos.add("nets", -1);
  return cli::run_tool("xfer_similarity", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, desc, vm, "", &pos)) return kExitDone;
    return run(o);
  });
}
