// test_grid_faults.cpp: the grid runner when things go wrong, each case as it
// was reported: a diverged run (never done, its dependents never started, not
// retried), a runner killed with kill -9 (no trainer or cell runner outlives
// it, mpirun's ranks included), two runners on one results folder (each cell
// trained once, the second names the holder), a missing data folder, a trainer
// killed by a signal (named), SLURM's end states from sacct, and a mistyped
// results folder. Real processes throughout: xfer_grid and fake_trainer.sh.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "grid/cell_folder.h"
#include "grid/cell_state.h"
#include "grid/grid_config.h"
#include "grid/runner.h"
#include "grid/slurm.h"
#include "grid/slurm_plan.h"
#include "grid/status.h"
#include "core/check.h"  // this_host
#include "io/file_lock.h"
#include "runner_fixture.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace xfer {
namespace {

using testing::occurrences;
using testing::read_file;

// Live (not zombie) processes whose command line mentions `marker`.
std::vector<std::string> processes_mentioning(const std::string& marker) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    // A process may end between the listing and the read (ESRCH): it is gone, not found.
    std::string stat, cmd;
    try {
      stat = read_file(e.path() / "stat");
      cmd = read_file(e.path() / "cmdline");
    } catch (const std::exception&) {
      continue;
    }
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z') continue;
    for (char& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(marker) != std::string::npos) found.push_back(pid + ": " + cmd);
  }
  return found;
}

// Waits up to `limit` for `done()`; returns whether it came true.
template <class F>
bool wait_for(F done, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class GridFaults : public RunnerFixture {
 protected:
  // Starts the xfer_grid binary with `args`, its stdout and stderr into `log`.
  pid_t spawn_grid(const std::vector<std::string>& args, const fs::path& log) {
    const std::string bin = std::string(std::getenv("XFER_BIN_DIR")) + "/xfer_grid";
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv{const_cast<char*>(bin.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    return pid;
  }

  // `xfer_grid COMMAND` on the tiny grid of the fixture, with the fake trainer.
  std::vector<std::string> grid_args(const std::string& command, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {command, "--preset", "fashion-mnist", "--grids-dir",
                                  source_dir() + "/jobs/grids", "--results", opt_.paths.results,
                                  "--data", opt_.paths.data, "--trainer", opt_.paths.trainer,
                                  "--launch", "none", "--ranks", "1"};
    for (const auto& s : grid_sets()) {
      a.push_back("--set");
      a.push_back(s);
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Sets the value of `flag` in `args`.
  static void set_arg(std::vector<std::string>& args, const std::string& flag, const std::string& value) {
    auto it = std::find(args.begin(), args.end(), flag);
    ASSERT_NE(it, args.end()) << flag;
    *(it + 1) = value;
  }

  static int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // kill -9 `victim` once `trainers` trainers (ranks) run, then checks that nothing
  // of this test's (runner, cell runner, trainer, mpirun, rank) survives it.
  // The trainers are quiet (FAKE_QUIET), so no SIGPIPE ends them by chance.
  void kill_and_expect_no_survivors(pid_t victim, int trainers, const fs::path& log) {
    const std::string marker = root_.string();
    bool ended = false;
    ASSERT_TRUE(wait_for([&] {
      int n = 0;
      for (const auto& c : grid().cells) n += trained(c.id);
      ended = waitpid(victim, nullptr, WNOHANG) == victim;
      return n >= trainers || ended;
    }, 20s)) << "the trainers did not start:\n" << read_file(log);
    ASSERT_FALSE(ended) << "it ended before it could be killed:\n" << read_file(log);
    std::this_thread::sleep_for(300ms);  // into the iterations
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    wait_exit(victim);
    auto t0 = std::chrono::steady_clock::now();
    bool gone = wait_for([&] { return processes_mentioning(marker).empty(); }, 8s);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string left;
    for (const auto& p : processes_mentioning(marker)) {
      left += "\n  " + p;
      kill(std::stoi(p), SIGKILL);  // ours: leave nothing behind for the next test
    }
    EXPECT_TRUE(gone) << "still running " << secs << " s after kill -9:" << left;
    std::cout << "[          ] everything gone " << secs << " s after kill -9\n";
  }
};

// ---------------------------------------------------------------------------
// Diverged cells.

TEST_F(GridFaults, DivergedCellFailsBlocksItsDependentsAndIsNotRetried) {
  Grid g = grid();
  setenv("FAKE_DIVERGE_AT", "5", 1);
  setenv("FAKE_FAULT_CELL", "half0-A-base", 1);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_local(g, opt_), 1);
  std::string out = ::testing::internal::GetCapturedStdout();
  const std::string why = "diverged at iteration 5 (loss nan)";
  EXPECT_EQ(occurrences(out, "[failed] half0-A-base: " + why), 1u) << out;
  EXPECT_EQ(occurrences(out, "half0-AB-n1-frozen: skipped, its base half0-A-base failed: " + why), 1u)
      << out;
  CellState st = state_of(g, *g.find("half0-A-base"));
  EXPECT_EQ(st.status, CellStatus::Failed);
  EXPECT_TRUE(st.diverged);
  EXPECT_EQ(st.reason, why);
  EXPECT_EQ(st.iteration, 5);
  EXPECT_EQ(starts("half0-AB-n1-frozen"), 0);
  for (const char* id : {"half0-B-base", "half0-B-random-n2"})
    EXPECT_EQ(state_of(g, *g.find(id)).status, CellStatus::Done) << id;

  // status: failed, with the iteration; never done.
  ::testing::internal::CaptureStdout();
  print_status(g, opt_.paths, StatusOptions{true, false});
  out = ::testing::internal::GetCapturedStdout();
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line) && line.rfind("half0-A-base ", 0) != 0) {
  }
  EXPECT_NE(line.find(" failed "), std::string::npos) << out;
  EXPECT_NE(line.find(why), std::string::npos) << out;

  // Not retried: the same configuration would diverge again.
  clear_fake_env();
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_local(g, opt_), 1);
  out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("half0-A-base: " + why + "; not retried"), std::string::npos) << out;
  EXPECT_EQ(trained("half0-A-base"), 1);
  EXPECT_EQ(trained("half0-AB-n1-frozen"), 0);
  std::string message;
  EXPECT_EQ(run_cell(g, *g.find("half0-A-base"), opt_, &message), kExitDiverged);
  EXPECT_EQ(message.rfind(why + "; not retried", 0), 0u) << message;

  // A SLURM resubmission leaves it and its transfer out.
  Plan plan = make_plan(g, opt_.paths, QueueInfo{});
  ASSERT_EQ(plan.left_out.size(), 2u);
  EXPECT_EQ(plan.left_out[0], "half0-A-base: " + why);
  EXPECT_EQ(plan.left_out[1], "half0-AB-n1-frozen: its base half0-A-base diverged");
  EXPECT_TRUE(plan.groups.empty());
}

TEST_F(GridFaults, StatusTrustsResultStatusOverFinished) {
  Grid g = grid();
  const GridCell& cell = *g.find("half0-B-base");
  ASSERT_EQ(run_cell(g, cell, opt_), kExitDone);
  const std::string path = dir_of(cell.id) + "/result.json";
  nlohmann::json r = result(cell.id);
  // A file without "status" (older trainers): "finished" decides.
  ASSERT_FALSE(r.contains("status"));
  EXPECT_EQ(state_of(g, cell).status, CellStatus::Done);
  // A diverged run that also claims to be finished, with a perfect top-1.
  r["status"] = "diverged";
  r["diverged"] = {{"iteration", 7}, {"what", "loss inf"}};
  r["statistic"] = {{"top10_mean_top1", 1.0}};
  std::ofstream(path) << r.dump();
  CellState st = state_of(g, cell);
  EXPECT_EQ(st.status, CellStatus::Failed);
  EXPECT_EQ(st.reason, "diverged at iteration 7 (loss inf)");
  EXPECT_FALSE(CellFolder(opt_.paths.results, cell.id).finished());
  r["status"] = "finished";
  std::ofstream(path) << r.dump();
  EXPECT_EQ(state_of(g, cell).status, CellStatus::Done);
  r["status"] = "running";
  std::ofstream(path) << r.dump();
  EXPECT_NE(state_of(g, cell).status, CellStatus::Done);
}

// ---------------------------------------------------------------------------
// Locks, orphans and double training.

TEST_F(GridFaults, HeldCellIsSkippedAndNamesItsHolder) {
  Grid g = grid();
  const std::string dir = dir_of("half0-A-base");
  fs::create_directories(dir);
  auto lock = FileLock::try_acquire(dir + "/.cell.lock");
  ASSERT_TRUE(lock);
  const std::string holder = "pid " + std::to_string(getpid()) + " on host " + this_host();
  std::string message;
  EXPECT_EQ(run_cell(g, *g.find("half0-A-base"), opt_, &message), kExitBusy);
  EXPECT_EQ(message, "being trained by " + holder + "; skipped");
  EXPECT_EQ(starts("half0-A-base"), 0);
  EXPECT_EQ(trained("half0-A-base"), 0);

  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_local(g, opt_), 1);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(occurrences(out, "half0-A-base: being trained by " + holder + "; skipped"), 1u) << out;
  EXPECT_EQ(occurrences(out, "half0-AB-n1-frozen: skipped, its base half0-A-base is being trained by " +
                                 holder),
            1u)
      << out;
  EXPECT_EQ(trained("half0-A-base"), 0);
  lock.reset();
  EXPECT_EQ(run_local(g, opt_), 0);
  EXPECT_EQ(trained("half0-A-base"), 1);
}

TEST_F(GridFaults, KilledRunLeavesNoRunnerOrTrainerBehind) {
  setenv("FAKE_SLEEP", "0.2", 1);
  setenv("FAKE_QUIET", "1", 1);
  pid_t run = spawn_grid(grid_args("run", {"-j", "2", "--set", "solver.max_iter=60"}), root_ / "run1.log");
  kill_and_expect_no_survivors(run, 2, root_ / "run1.log");
  // The two cells stopped at a checkpoint (their trainers got the stop
  // signal), so the rerun resumes them and trains nothing twice beside them.
  setenv("FAKE_SLEEP", "0.01", 1);
  pid_t again = spawn_grid(grid_args("run", {"-j", "2", "--set", "solver.max_iter=60"}), root_ / "run2.log");
  EXPECT_EQ(wait_exit(again), 0) << read_file(root_ / "run2.log");
  int resumed = 0;
  for (const char* id : {"half0-A-base", "half0-B-base"}) {
    std::string log = read_file(dir_of(id) + "/attempts.jsonl");
    resumed += log.find("\"resume\":true") != std::string::npos;
  }
  EXPECT_EQ(resumed, 2) << read_file(root_ / "run1.log");
}

TEST_F(GridFaults, KilledRunCellTakesItsTrainerAlong) {
  setenv("FAKE_SLEEP", "0.2", 1);
  setenv("FAKE_QUIET", "1", 1);
  pid_t run = spawn_grid(grid_args("run-cell", {"--id", "half0-A-base", "--set", "solver.max_iter=60"}),
                         root_ / "run.log");
  kill_and_expect_no_survivors(run, 1, root_ / "run.log");
}

TEST_F(GridFaults, KilledRunCellTakesMpirunAndItsRanksAlong) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "no mpirun here";
  // A SIGKILLed mpirun leaves its ranks running: the runner's death must reach
  // mpirun as a signal it passes on.
  setenv("FAKE_SLEEP", "0.2", 1);
  setenv("FAKE_QUIET", "1", 1);
  auto args = grid_args("run-cell", {"--id", "half0-A-base", "--set", "solver.max_iter=60", "--threads", "1"});
  set_arg(args, "--launch", "mpirun");
  set_arg(args, "--ranks", "2");
  pid_t run = spawn_grid(args, root_ / "run.log");
  kill_and_expect_no_survivors(run, 2, root_ / "run.log");
}

TEST_F(GridFaults, TwoRunnersTrainEachCellOnceAndTheSecondNamesTheHolder) {
  setenv("FAKE_SLEEP", "0.05", 1);
  auto args = grid_args("run", {"-j", "2"});
  pid_t first = spawn_grid(args, root_ / "first.log");
  pid_t second = spawn_grid(args, root_ / "second.log");
  wait_exit(first);
  wait_exit(second);
  const std::string out = read_file(root_ / "first.log") + read_file(root_ / "second.log");
  Grid g = grid();
  for (const auto& c : g.cells) EXPECT_EQ(trained(c.id), 1) << c.id << "\n" << out;
  EXPECT_NE(out.find(": being trained by pid "), std::string::npos) << out;
  EXPECT_NE(out.find(" on host " + this_host() + "; skipped"), std::string::npos) << out;
  pid_t third = spawn_grid(args, root_ / "third.log");
  EXPECT_EQ(wait_exit(third), 0) << read_file(root_ / "third.log");
  for (const auto& c : g.cells) EXPECT_EQ(trained(c.id), 1) << c.id;
}

// ---------------------------------------------------------------------------
// Failures that say why.

TEST_F(GridFaults, MissingDataFolderFailsWithTheFolderNamed) {
  Grid g = grid();
  fs::remove_all(root_ / "data" / "half0B");
  const std::string why = "data folder '" + (root_ / "data" / "half0B").string() +
                          "' does not exist (prepare the data first)";
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_local(g, opt_), 1);
  std::string out = ::testing::internal::GetCapturedStdout();
  // Once for each cell that trains on half0B, each naming its cell.
  for (const char* id : {"half0-B-base", "half0-AB-n1-frozen", "half0-B-random-n2"})
    EXPECT_EQ(occurrences(out, "[failed] " + std::string(id) + ": " + why), 1u) << out;
  EXPECT_EQ(occurrences(out, why), 3u) << out;
  const std::string dir = dir_of("half0-B-base");
  EXPECT_NE(read_file(dir + "/train.log").find(why), std::string::npos);
  CellState st = state_of(g, *g.find("half0-B-base"));
  EXPECT_EQ(st.status, CellStatus::Failed);
  EXPECT_EQ(st.reason, why);
  EXPECT_EQ(st.attempts, 0);
  // Once the data is there, the cell trains.
  fs::create_directories(root_ / "data" / "half0B");
  EXPECT_EQ(run_local(g, opt_), 0);
}

TEST_F(GridFaults, TrainerKilledBySignalIsNamed) {
  Grid g = grid();
  const GridCell& cell = *g.find("half0-A-base");
  struct Case {
    const char* signal;
    std::string why;
  };
  for (const Case& c : {Case{"KILL", "killed by SIGKILL (out of memory?)"}, Case{"SEGV", "killed by SIGSEGV"}}) {
    fs::remove_all(opt_.paths.results);
    setenv("FAKE_SIGNAL", c.signal, 1);
    std::string message;
    EXPECT_EQ(run_cell(g, cell, opt_, &message), kExitError) << c.signal;
    EXPECT_EQ(message, c.why);
    CellState st = state_of(g, cell);
    EXPECT_EQ(st.status, CellStatus::Failed);
    EXPECT_EQ(st.reason, c.why);
  }
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) return;
  // Through mpirun, which reports a rank killed by signal N as exit 128 + N.
  fs::remove_all(opt_.paths.results);
  setenv("FAKE_SIGNAL", "KILL", 1);
  opt_.launch = Launch::Mpirun;
  opt_.ranks = 2;
  opt_.threads = 1;
  std::string message;
  EXPECT_EQ(run_cell(g, cell, opt_, &message), kExitError);
  EXPECT_EQ(message, "killed by SIGKILL (out of memory?)");
}

// Stand-ins for squeue and sacct on PATH: SLURM's answers without SLURM.
class GridFaultsSlurm : public GridFaults {
 protected:
  void SetUp() override {
    GridFaults::SetUp();
    stubs_ = root_ / "stubs";
    fs::create_directories(stubs_);
    stub("squeue", "exit 0");  // answers, with nothing queued
    old_path_ = std::getenv("PATH");
    setenv("PATH", (stubs_.string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    GridFaults::TearDown();
  }
  void stub(const std::string& name, const std::string& body) {
    std::ofstream(stubs_ / name) << "#!/bin/bash\necho \"$*\" >>" << (stubs_ / (name + ".args")).string()
                                 << "\n" << body << "\n";
    fs::permissions(stubs_ / name, fs::perms::owner_all);
  }
  std::string status_line(const Grid& g, const std::string& id, std::string* err = nullptr) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    print_status(g, opt_.paths, StatusOptions{});
    std::string out = ::testing::internal::GetCapturedStdout();
    std::string e = ::testing::internal::GetCapturedStderr();
    if (err) *err = e;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(id + " ", 0) == 0) return line;
    return "";
  }
  fs::path stubs_;
  std::string old_path_;
};

TEST_F(GridFaultsSlurm, StatusShowsHowSlurmEndedAJob) {
  Grid g = grid();
  fs::create_directories(fs::path(opt_.paths.results) / ".slurm");
  std::ofstream(fs::path(opt_.paths.results) / ".slurm" / "submitted.tsv")
      << "77_0\thalf0-A-base\n77_1\thalf0-B-base\n77_2\thalf0-B-random-n2\n";
  stub("sacct", "printf '77_0|OUT_OF_MEMORY\\n77_1|CANCELLED by 0\\n77_2|FAILED\\n'");
  EXPECT_NE(status_line(g, "half0-A-base").find("SLURM: OUT_OF_MEMORY"), std::string::npos);
  EXPECT_NE(status_line(g, "half0-B-base").find("SLURM: CANCELLED"), std::string::npos);
  // FAILED is a non-zero exit: the runner's own record says more.
  EXPECT_EQ(status_line(g, "half0-B-random-n2").find("SLURM:"), std::string::npos);
  std::string args = read_file(stubs_ / "sacct.args");
  EXPECT_NE(args.find("--user=" + std::to_string(getuid())), std::string::npos) << args;
  // squeue too is asked about this user's jobs only, not the whole cluster's.
  const std::string squeue_args = read_file(stubs_ / "squeue.args");
  EXPECT_NE(squeue_args.find("--user=" + std::to_string(getuid())), std::string::npos) << squeue_args;
  EXPECT_NE(args.find("77_0"), std::string::npos) << args;

  // Accounting off: sacct fails; status says nothing about it, and still works.
  fs::remove(stubs_ / "sacct.args");
  stub("sacct", "echo 'sacct: error: Slurm accounting storage is disabled' >&2; exit 1");
  std::string err;
  std::string line = status_line(g, "half0-A-base", &err);
  EXPECT_NE(line.find("not-started"), std::string::npos) << line;
  EXPECT_EQ(line.find("SLURM:"), std::string::npos) << line;
  EXPECT_EQ(err, "");
}

TEST_F(GridFaults, StatusOfAMissingResultsFolderIsAnError) {
  const std::string missing = (root_ / "no-such-results").string();
  for (auto args : {std::vector<std::string>{"status", "--results", missing},
                    std::vector<std::string>{"status", "--preset", "fashion-mnist", "--grids-dir",
                                             source_dir() + "/jobs/grids", "--results", missing}}) {
    fs::create_directories(root_);
    pid_t pid = spawn_grid(args, root_ / "status.log");
    EXPECT_EQ(wait_exit(pid), 1);
    EXPECT_EQ(read_file(root_ / "status.log"),
              "xfer_grid: error: results folder '" + missing + "' does not exist\n");
  }
}

// Values crafted to hurt a grid config: refused when the grid is read (a
// login node checks grids meant for compute nodes), naming the key and the
// range, never passed to every cell's trainer.
TEST(GridConfigFaults, CeilingsAndNonFiniteNumbersNamingTheKey) {
  const char* src = std::getenv("XFER_SOURCE_DIR");
  const std::string grids = std::string(src ? src : ".") + "/jobs/grids";
  auto error_of = [&grids](const std::string& set) -> std::string {
    try {
      load_grid_config(preset_path("fashion-mnist", grids), {set});
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  // Each message: the key, what is wrong, then the file it came from.
  std::vector<std::pair<std::string, std::string>> refused = {
      {"solver.threads=100000", "solver.threads: 100000 is not 0..1024"},
      {"grid.fc8_outputs=100000000", "grid.fc8_outputs: 100000000 is not 0..100000"},
      {"solver.test_from=nan", "solver.test_from: 'nan' is not a finite number"},
      {"solver.base_lr=inf", "solver.base_lr: must be finite and positive, got inf (the trainer refuses it)"},
      {"grid.images_per_sec=-inf", "grid.images_per_sec: '-inf' is not a finite number"},
  };
  // A newline would make one value two sbatch arguments or two INI lines.
  refused.push_back({"slurm.partition=x\n--wrap=touch /tmp/owned", "slurm.partition: holds a control character (0x0a at byte 1): refused"});
  refused.push_back({"grid.name=a\rb", "grid.name: holds a control character (0x0d at byte 1): refused"});
  for (const auto& [set, why] : refused)
    EXPECT_EQ(error_of(set).rfind("grid config: " + why + " (in ", 0), 0u) << error_of(set);
  EXPECT_EQ(error_of("solver.threads=1024"), "");
}

// A grid config saved with a UTF-8 byte-order mark reads as without one.
TEST(GridConfigFaults, ByteOrderMarkIsNotPartOfTheFirstKey) {
  testing::TempDir scratch("bom_grid");
  const std::string path = scratch.str() + "/bom.ini";
  std::ofstream(path) << "\xEF\xBB\xBF[grid]\nnetwork = small\nname = bom\n[base]\nsplits = half0\n";
  EXPECT_EQ(load_grid_config(path, {}).name, "bom");
}

}  // namespace
}  // namespace xfer
