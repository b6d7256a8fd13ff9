// op_cases.h: the one list of op cases that test_backend_ops runs on every
// built backend (ggml's test-backend-ops, Caffe's gradient checker). A case
// names the Backend interface methods it exercises; the harness fails when a
// virtual method of backend.h is named by no case, so a new op cannot land
// without a test on every backend.
//
// A case has any of three checks:
//   compare     run on each backend other than the CPU and compared, output
//               by output, with the same run on the CPU;
//   definition  on the CPU only: the result against a direct implementation
//               of the op's definition (the other backends meet it through
//               `compare`);
//   check       on every backend alone: finite differences of a layer's
//               gradients, and what must hold whatever the backend.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace xfer::testing {

// How one output is compared with the CPU's: |got - want| <= atol + rtol *
// max|want| (near_all in gpu_test_util.h), or bit for bit.
struct Tol {
  float rtol = 0, atol = 0;
  bool bits = false;
};
inline constexpr Tol kBits{0, 0, true};
// 1e-4 in fp32 (cuDNN may pick Winograd or FFT algorithms whose rounding
// differs from oneDNN's direct sums), 2e-2 with TF32 (10-bit mantissas).
inline constexpr Tol kFp32{1e-4f}, kTf32{2e-2f};

struct Output {
  std::string name;
  std::vector<float> values;
  Tol tol;
};
using Outputs = std::vector<Output>;

struct OpCase {
  std::string name;  // the test's name: letters, digits and '_'
  // Interface methods exercised, as "Class::method" of backend.h.
  std::vector<std::string> covers;
  std::function<Outputs(Backend&)> compare = nullptr;
  std::function<void(Backend&)> definition = nullptr;
  std::function<void(Backend&)> check = nullptr;
  bool tf32 = false;  // the backend under test computes with TF32 (set_tf32)
  // False for a case that exercises what only a device backend has (the
  // staging of uploads) at a size the CPU run would only waste memory on.
  bool on_cpu = true;
};

// Every case, in the order the tests are registered.
const std::vector<OpCase>& op_cases();

// The families the list is made of (op_cases.cpp, op_cases_elementwise.cpp,
// op_cases_batch_norm.cpp, op_gradient_cases.cpp).
std::vector<OpCase> weighted_op_cases();
std::vector<OpCase> pool_lrn_cases();
std::vector<OpCase> batch_norm_cases();
std::vector<OpCase> elementwise_cases();
std::vector<OpCase> loss_cases();
std::vector<OpCase> memory_cases();
std::vector<OpCase> gradient_cases();

}  // namespace xfer::testing
