// step_options.h: the options the two training-step benchmarks share
// (bench/step, any backend, beside PyTorch on the CPU; bench/gpu, CUDA, beside
// PyTorch on the GPU), so that --batch or --tf32 means the same in both.
#pragma once

#include <boost/program_options.hpp>

#include <string>

#include "core/cli.h"

namespace xfer::bench {

struct StepOptions {
  std::string preset = "caffenet";
  std::string backend;
  int batch = 0, warmup = 0, iters = 0;
  int outputs = 0;  // the classifier's; 0: the preset's (1000 for ImageNet's, 10 for the 28x28 ones)
  bool tf32 = false;

  int classes() const {
    if (outputs > 0) return outputs;
    return preset == "caffenet" || preset == "resnet18" || preset == "resnet50" ? 1000 : 10;
  }
  // Throws a usage error for sizes that cannot be timed.
  void check() const {
    if (batch <= 0 || iters <= 0 || warmup < 0 || outputs < 0)
      throw cli::UsageError("--batch and --iters must be positive, --warmup and --fc8-outputs >= 0");
  }
};

// Declares the shared options on `opts`, each defaulting to its value in `o`.
inline void add_step_options(boost::program_options::options_description& opts, StepOptions& o) {
  auto add = [&opts](const char* name, auto& value, const char* help) {
    opts.add_options()(name, boost::program_options::value(&value)->default_value(value), help);
  };
  add("network", o.preset, "network preset: caffenet | small | resnet18 | resnet50 | resnet-small");
  add("backend", o.backend, "cpu | cuda");
  add("batch", o.batch, "images per step");
  add("warmup", o.warmup, "untimed steps first (algorithm search)");
  add("iters", o.iters, "timed steps");
  add("fc8-outputs", o.outputs, "classifier outputs (0: 1000 for ImageNet's presets, 10 for the 28x28 ones)");
  add("tf32", o.tf32, "1: TF32 math for convolutions and GEMMs (cuda)");
}

}  // namespace xfer::bench
