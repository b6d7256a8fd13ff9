// test_io_faults.cpp: the faults the io layer exists for (label faults): a
// writer killed before its rename leaves the old file whole and a temporary
// that the next writer removes; a full disk is one message naming the file,
// with the old file kept; a lock holder killed with SIGKILL frees the lock.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "core/check.h"
#include "io/atomic_file.h"
#include "io/file_lock.h"
#include "test_util.h"
#include "tmpfs_mount.h"

namespace xfer {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;

// Runs `child` in a forked process; returns its wait status.
template <class F>
int in_child(F child) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    child();
    ::_exit(0);
  }
  int status = -1;
  if (pid > 0) ::waitpid(pid, &status, 0);
  return status;
}

TEST(IoFaults, WriterKilledBeforeTheRenameLeavesTheOldFileAndAStaleTemp) {
  TempDir tmp("io_killed_writer");
  const fs::path p = tmp.path() / "result.json";
  write_file_atomic(p.string(), std::string("old, complete"));
  // The child writes its temp in full and dies where a kill would leave it:
  // before the rename.
  const int status = in_child([&] {
    const std::string data(50000, 'n');
    write_file_checked(temp_path_for(p.string()), data.data(), data.size(), p.string());
  });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(read_file(p), "old, complete");
  size_t temps = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) temps += e.path().filename() != "result.json";
  EXPECT_EQ(temps, 1u);
  EXPECT_EQ(remove_stale_temps(p.string()), 1);  // the dead writer's, not this process's
  write_file_atomic(p.string(), std::string("new"));
  EXPECT_EQ(read_file(p), "new");
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(IoFaults, FullDiskIsOneMessageNamingTheFileAndKeepsTheOldOne) {
  ::xfer::testing::TmpfsMount disk("io_full", 1);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  const fs::path p = fs::path(disk.dir()) / "checkpoint.h5";
  write_file_atomic(p.string(), std::string("old, complete"));
  const std::vector<char> big(3u << 20, 'x');
  try {
    write_file_atomic(p.string(), big.data(), big.size());
    FAIL() << "wrote 3 MB on a 1 MB disk";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("no space left on device writing " + p.string() + " (about 3 MB needed, ", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  EXPECT_EQ(read_file(p), "old, complete");
  EXPECT_EQ(std::distance(fs::directory_iterator(disk.dir()), fs::directory_iterator()), 1) << "a temp left behind";
}

// The kernel drops the lock when its holder dies, kill -9 included: a stale
// lock file never blocks a rerun.
TEST(IoFaults, LockIsFreeOnceItsHolderIsKilled) {
  TempDir tmp("io_killed_holder");
  const std::string path = tmp.str() + "/.lock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = FileLock::try_acquire(path);
    const char ok = lock ? 1 : 0;
    if (::write(ready[1], &ok, 1) != 1 || !lock) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(ok, 1) << "the child could not take the lock";
  std::string holder;
  EXPECT_FALSE(FileLock::try_acquire(path, &holder));
  EXPECT_EQ(holder, "pid " + std::to_string(child) + " on host " + this_host());
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(FileLock::try_acquire(path)) << "still held after its holder died";
}

// Two runners reaching one cell together: the second may look between the
// first's taking the lock and its writing its name. It must still name the
// holder, not "another process".
TEST(IoFaults, LockTakenAMomentAgoStillNamesItsHolder) {
  testing::TempDir tmp("lock_race");
  const std::string path = tmp.str() + "/.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // held, its name not written yet
  std::thread late([fd] {
    ::usleep(100000);
    const std::string name = "pid 4242 on host elsewhere\n";
    EXPECT_EQ(::pwrite(fd, name.data(), name.size(), 0), static_cast<ssize_t>(name.size()));
  });
  std::string holder;
  EXPECT_FALSE(FileLock::try_acquire(path, &holder));
  late.join();
  EXPECT_EQ(holder, "pid 4242 on host elsewhere");
  ::close(fd);
}

}  // namespace
}  // namespace xfer
