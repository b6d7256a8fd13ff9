// numpy_mt19937.h: numpy's legacy RandomState generator (MT19937), enough of
// it to redo the paper's class splits from their seeds without Python:
// seeding by init_by_array, 32-bit draws, and permutation() as numpy's legacy
// shuffle computes it (bounded draws by masked rejection).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace xfer {

class NumpyMT19937 {
 public:
  // numpy.random.seed(key) for a list key, e.g. seed([s]).
  explicit NumpyMT19937(const std::vector<uint32_t>& key);
  uint32_t next_u32();
  // Uniform integer in [0, max], as numpy's random_interval.
  uint64_t interval(uint64_t max);
  // numpy.random.permutation(n) of the legacy RandomState.
  std::vector<int> permutation(int n);

 private:
  void init_genrand(uint32_t s);
  void generate();
  std::array<uint32_t, 624> mt_{};
  int mti_ = 625;
};

}  // namespace xfer
