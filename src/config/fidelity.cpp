// fidelity.cpp: the deviations from the paper (see fidelity.h).
#include "config/fidelity.h"

#include <string>

#include "core/exit_codes.h"

namespace xfer {

const std::vector<Deviation>& deviations() {
  static const std::vector<Deviation> v{
      {"Random numbers: initial weights come from xoshiro256** with Box-Muller, dropout masks "
       "and crops from a counter-based hash of (seed, rank, iteration / epoch, position).",
       "Same distributions as Caffe's; the draws differ, but every run is reproducible, resumes "
       "bit-identically and gives the same masks on the CPU and the GPU."},
      {"Training order: the training set is reshuffled every epoch.",
       "Caffe read a LevelDB shuffled once at conversion, in the same order every epoch. A fresh "
       "order per epoch is standard practice and needs no pre-shuffled database per split."},
      {"Data parallelism: a cell may train on several GPUs (one MPI rank each) with the global "
       "batch of 256 split among them and gradients averaged by allreduce.",
       "The same model as one GPU with batch 256 up to float summation order; the paper trained "
       "each net on one K20. Dropout masks differ per rank (each rank draws its own)."},
      {"Pooling and LRN match Caffe's formulas (ceil-rounded pooling, alpha/size in LRN) but are "
       "computed by oneDNN / cuDNN and our own LRN backward.",
       "Results agree to float rounding; the tests check both against direct implementations."},
      {"Optional TF32 math on GPUs (off by default).",
       "Faster on Ampere/Hopper; the paper used fp32. Results files record when it is on."},
      {"The Fashion-MNIST embedded default uses a small net of CaffeNet's shape (5 conv + 3 fc, "
       "groups, LRN, dropout) on 24x24 crops, two random splits (half0, half1) in both directions, "
       "a dissimilar split of upper-body garments vs the rest and random filters at n = 1, 3, 5, 7, "
       "and a short schedule: 400 steps of 64 (0.85 epochs, the rate dropped 10x at 300) for every "
       "cell, tested every 8 steps from 80% of the run.",
       "It shows the experiment end to end on a CPU within the first command's 20 minutes, with 4 "
       "target tasks (units) in every main group so that the effects can be tested; it is not the "
       "paper's ImageNet setting and its numbers are not the paper's. Its bases are short of their "
       "plateau, so a selffer, whose lower layers were trained twice, ends above its base: an "
       "effect of the schedule, not the paper's, which the continued bases measure. The paper's "
       "statistic (mean of the 10 best tests) is kept; starting the tests late keeps it on the "
       "converged end of the run, as the paper's 450 tests a run did."},
      {"A net whose training or test loss, or any weight at a test, becomes NaN or infinite stops there (exit " +
           std::to_string(kExitDiverged) + "); its result says diverged and the tables leave it out, saying so.",
       "Caffe trained on and logged NaN, and a NaN score counted as correct: a diverged net "
       "would have entered the tables as top-1 1.0. None of the paper's released logs diverged."},
      {"Continued bases (ours; the paper had none): with the grid's [base] continued = true (the "
       "Fashion-MNIST presets) each half base is trained for one more schedule from its final weights "
       "(--transfer-mode continue: every layer, fc8 included, the learning rate from base_lr again, same "
       "half and seed), and the effects table adds BnB and BnB+ minus the unit's continued base.",
       "A selffer's copied layers have had the base's schedule and then its own; where bases are short "
       "of a plateau that alone lifts BnB above its base. A base given the same total training is the "
       "fair reference for co-adaptation there. The paper's own presets (paper, complete) have none."},
      {"Residual presets (ours; the paper studied CaffeNet only): resnet18 and resnet50 as torchvision builds "
       "them and resnet-small for 28x28 images, trained with torchvision's recipe (SGD, momentum 0.9, weight "
       "decay 1e-4 on every parameter, BatchNorm's included, no per-parameter multipliers, rate 0.1 dropped "
       "10x every 30 of 90 epochs, batch 256; at another batch the rate scaled linearly, 0.1 x batch / 256) "
       "instead of Caffe's; the transfer unit is a stage (n = 1 the "
       "stem, 2..5 layer1..layer4); the copied stages' batch normalisations frozen (--bn frozen, the "
       "default) or using batch statistics (--bn train); the classifier's initial weights gaussian with "
       "nn.Linear's variance rather than its uniform draw; running statistics averaged across data-parallel "
       "ranks before every test and checkpoint; the random-filter control's batch normalisations take the "
       "statistics of 100 training batches before they are frozen. The grid presets: resnet-imagenet counts "
       "the recipe's 90 epochs on a half (225,000 steps of 256); fashion-mnist-resnet trains each of its 140 "
       "cells for 80 steps of 64 at 0.025, far short of a plateau.",
       "The studies that followed the paper ask its question of residual networks with batch "
       "normalisation; torchvision's recipe and names make a preset comparable with what researchers run "
       "(a checkpoint converts to a torchvision state_dict, scripts/torchvision_weights.py). Frozen batch "
       "statistics are torchvision's and Keras' practice for frozen layers. Averaging uses every rank's "
       "images (PyTorch's DDP broadcasts rank 0's). A random control normalised with its initial mean 0 "
       "and variance 1 would scale its random features arbitrarily; recalibrated, it is random filters "
       "normalised as trained ones are. The linear scaling rule (Goyal et al. 2017) keeps the rate per image: "
       "at 0.1 with batch 64, fine-tuning every stage of resnet-small with frozen batch normalisation "
       "diverged. fashion-mnist-resnet is sized for 2 cores in 15 minutes: its effects are of its schedule "
       "(bases at 0.59 to 0.78 on its statistic), not a finding about residual networks."},
  };
  return v;
}

}  // namespace xfer
