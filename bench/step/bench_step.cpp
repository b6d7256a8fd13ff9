// bench_step.cpp: xfer_bench_step, the time of one training step (forward,
// backward, SGD update) of a preset on a backend, on generated data, and of
// frozen nets at n = 1..7 (which must get cheaper as n grows: no backward
// below the lowest trainable layer). bench/run_cpu_bench.sh prints it beside
// PyTorch running the same network.
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>

#include "backend/backend.h"
#include "core/cli.h"
#include "data/synthetic_source.h"
#include "net/net.h"
#include "solver/sgd.h"
#include "step_options.h"

namespace po = boost::program_options;
using namespace xfer;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Timing {
  double fwd = 0, bwd = 0, upd = 0;
  double step() const { return fwd + bwd + upd; }
};

Timing time_steps(Backend& be, const NetSpec& spec, int batch, int outputs, int frozen, int warmup,
                  int iters) {
  Net net(be, spec, batch, outputs);
  net.init_params(1);
  net.set_frozen(frozen);
  SgdSolver solver(net, spec.solver);
  SyntheticOptions o;
  o.channels = spec.channels;
  o.size = spec.crop;
  o.classes = std::min(outputs, 10);
  o.examples = batch;
  auto src = make_synthetic_train(o);
  HostBatch b;
  src->next(batch, b);
  Timing t;
  for (int i = 0; i < warmup + iters; ++i) {
    auto t0 = Clock::now();
    net.forward(b, PassContext{true, 1, uint64_t(i)});
    be.synchronize();
    auto t1 = Clock::now();
    net.backward(1.f / batch);
    be.synchronize();
    auto t2 = Clock::now();
    solver.update(i);
    be.synchronize();
    if (i >= warmup) {
      t.fwd += std::chrono::duration<double, std::milli>(t1 - t0).count();
      t.bwd += std::chrono::duration<double, std::milli>(t2 - t1).count();
      t.upd += ms_since(t2);
    }
  }
  t.fwd /= iters;
  t.bwd /= iters;
  t.upd /= iters;
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  bench::StepOptions o{.backend = "cpu", .batch = 32, .warmup = 2, .iters = 5};
  std::string frozen_list = "0";
  int threads = 2;
  po::options_description opts("xfer_bench_step: time one training step\n\nOptions");
  cli::add_common_options(opts);
  bench::add_step_options(opts, o);
  opts.add_options()
      ("threads", po::value(&threads)->default_value(threads), "CPU threads")
      ("frozen", po::value(&frozen_list)->default_value(frozen_list), "comma-separated frozen layer counts, e.g. 0,1,2,3,4,5,6,7");
  return cli::run_tool("xfer_bench_step", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, opts, vm)) return 0;
    o.check();
    NetSpec spec = net_preset(o.preset);
    auto be = make_backend(o.backend, 0, threads);
    be->set_tf32(o.tf32);
    std::printf("# preset %s, backend %s, batch %d, threads %d, %d timed steps after %d warm-up\n",
                o.preset.c_str(), o.backend.c_str(), o.batch, threads, o.iters, o.warmup);
    std::printf("%-8s %10s %10s %10s %10s %12s\n", "frozen", "fwd_ms", "bwd_ms", "update_ms", "step_ms",
                "images/s");
    for (int n : cli::parse_int_list(frozen_list, "--frozen")) {
      Timing t = time_steps(*be, spec, o.batch, o.classes(), n, o.warmup, o.iters);
      std::printf("%-8d %10.2f %10.2f %10.2f %10.2f %12.1f\n", n, t.fwd, t.bwd, t.upd, t.step(),
                  o.batch * 1000.0 / t.step());
      std::fflush(stdout);
    }
    return 0;
  });
}
