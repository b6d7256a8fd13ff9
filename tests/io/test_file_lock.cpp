// test_file_lock.cpp: one writer per folder: a second taker is refused and
// told who holds the lock, the lock is free again once its holder lets go,
// and the refusal names the lock file. (A holder that dies: test_io_faults.)
#include "io/file_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core/check.h"
#include "test_util.h"

namespace xfer {
namespace {

using testing::read_file;
using testing::TempDir;

std::string me() { return "pid " + std::to_string(::getpid()) + " on host " + this_host(); }

TEST(FileLock, SecondTakerIsRefusedAndToldWhoHoldsIt) {
  TempDir tmp("lock");
  const std::string path = tmp.str() + "/.lock";
  auto held = FileLock::try_acquire(path);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->path(), path);
  EXPECT_EQ(read_file(path), me() + "\n");
  std::string holder;
  EXPECT_FALSE(FileLock::try_acquire(path, &holder));  // flock is per open file, even in one process
  EXPECT_EQ(holder, me());
}

TEST(FileLock, ReleasedOnDestructionAndMove) {
  TempDir tmp("lock_release");
  const std::string path = tmp.str() + "/.lock";
  {
    auto a = FileLock::try_acquire(path);
    ASSERT_TRUE(a);
    FileLock moved = std::move(*a);  // the moved-from lock must not release it
    EXPECT_FALSE(FileLock::try_acquire(path));
  }
  EXPECT_EQ(read_file(path), "") << "a released lock names no holder";
  EXPECT_TRUE(FileLock::try_acquire(path));
  EXPECT_TRUE(std::filesystem::exists(path)) << "the lock file stays (removing it would race a waiter)";
}

TEST(FileLock, AcquireOrThrowNamesWhatTheHolderAndTheLockFile) {
  TempDir tmp("lock_throw");
  const std::string path = tmp.str() + "/.lock";
  FileLock held = FileLock::acquire_or_throw(path, tmp.str());
  try {
    FileLock::acquire_or_throw(path, tmp.str());
    FAIL() << "took a held lock";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(tmp.str() + " is being written by " + me() + " (lock " + path + ")", 0), 0u) << m;
  }
}

TEST(FileLock, UnopenableLockFileIsAnErrorNamingIt) {
  TempDir tmp("lock_missing");
  const std::string path = tmp.str() + "/no-such-folder/.lock";
  try {
    FileLock::try_acquire(path);
    FAIL() << "locked " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open lock file " + path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace xfer
