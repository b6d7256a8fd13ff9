// test_env.cpp: linked into every test binary. Sets XFER_SOURCE_DIR (the
// project root) and XFER_BIN_DIR (where the built programs are) unless the
// environment already has them, so a test run directly, outside ctest, finds
// the same files.
#include <cstdlib>

namespace {
struct TestEnvironment {
  TestEnvironment() {
    setenv("XFER_SOURCE_DIR", XFER_SOURCE_DIR_DEFAULT, 0);
    setenv("XFER_BIN_DIR", XFER_BIN_DIR_DEFAULT, 0);
  }
} const test_environment;
}  // namespace
