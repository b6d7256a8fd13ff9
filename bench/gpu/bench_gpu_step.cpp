// bench_gpu_step.cpp: xfer_bench_gpu_step, the throughput of whole training
// steps (upload of a host batch, forward with the loss read back, backward,
// SGD update) on generated data, with no synchronisation between phases:
// the number to set beside PyTorch's (bench/gpu/torch_caffenet.py), which
// runs the same loop. Prints one "RESULT" line for scripts to read.
#include <cuda_runtime.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>

#include "backend/backend.h"
#include "core/cli.h"
#include "core/rng.h"
#include "net/net.h"
#include "solver/sgd.h"
#include "step_options.h"

namespace po = boost::program_options;
using namespace xfer;
using Clock = std::chrono::steady_clock;

namespace {

HostBatch random_batch(const NetSpec& spec, int batch, int outputs) {
  HostBatch b;
  b.n = batch;
  b.c = spec.channels;
  b.h = b.w = spec.crop;
  b.images.resize(size_t(batch) * b.c * b.h * b.w);
  Rng r(7);
  for (auto& v : b.images) v = r.gaussian(0.f, 50.f);
  for (int i = 0; i < batch; ++i) b.labels.push_back(int32_t(r.next_u64() % outputs));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  bench::StepOptions o{.backend = "cuda", .batch = 256, .warmup = 5, .iters = 20, .outputs = 1000};
  int device = 0;
  po::options_description opts("xfer_bench_gpu_step: training steps per second\n\nOptions");
  cli::add_common_options(opts);
  bench::add_step_options(opts, o);
  opts.add_options()("device", po::value(&device)->default_value(device), "CUDA device");
  return cli::run_tool("xfer_bench_gpu_step", [&]() -> int {
    po::variables_map vm;
    if (!cli::parse(argc, argv, opts, vm)) return 0;
    o.check();
    const int batch = o.batch, iters = o.iters, warmup = o.warmup, outputs = o.classes();
    const std::string& backend = o.backend;
    auto be = make_backend(backend, device, 0);
    be->set_tf32(o.tf32);
    std::string gpu = "none";
    if (backend == "cuda") {
      cudaDeviceProp prop{};
      if (cudaGetDeviceProperties(&prop, device) == cudaSuccess) gpu = prop.name;
    }
    const NetSpec spec = net_preset(o.preset);
    const auto t_setup = Clock::now();
    Net net(*be, spec, batch, outputs);
    net.init_params(1);
    SgdSolver solver(net, spec.solver);
    const HostBatch b = random_batch(spec, batch, outputs);
    be->synchronize();
    const double setup_s = std::chrono::duration<double>(Clock::now() - t_setup).count();

    LossStats st;
    Clock::time_point t0;
    for (int i = 0; i < warmup + iters; ++i) {
      if (i == warmup) {
        be->synchronize();
        t0 = Clock::now();
      }
      st = net.forward(b, PassContext{true, 1, uint64_t(i)});
      net.backward(1.f / batch);
      solver.update(i);
    }
    be->synchronize();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("RESULT impl=xfer backend=%s gpu=\"%s\" preset=%s batch=%d precision=%s "
                "ms_per_step=%.2f images_per_s=%.1f setup_s=%.1f last_loss=%.4f\n",
                backend.c_str(), gpu.c_str(), o.preset.c_str(), batch, o.tf32 ? "tf32" : "fp32",
                1000.0 * s / iters, double(batch) * iters / s, setup_s,
                st.count ? st.loss_sum / double(st.count) : 0.0);
    return 0;
  });
}
