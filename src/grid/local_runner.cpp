// local_runner.cpp: run_local(), the whole grid on this machine: cells in
// dependency order, `jobs` at a time, each in a child process (so one cell's
// crash is that cell's failure) that dies with this one.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>

#include "core/log.h"
#include "grid/cell_folder.h"
#include "grid/cell_state.h"
#include "grid/process.h"
#include "io/atomic_file.h"  // write_failure_message
#include "grid/runner.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

volatile sig_atomic_t g_local_stop = 0;
void request_local_stop(int) { g_local_stop = 1; }

// The child: runs one cell, its own lines into <cell>/runner.log, and hands
// the one line saying how it ended to the parent through `msg_fd`.
[[noreturn]] void run_child(const Grid& grid, const GridCell& cell, const RunOptions& opt,
                            int msg_fd, pid_t parent) {
  setpgid(0, 0);  // a terminal's Ctrl-C reaches the parent only, which stops us cleanly
  // The parent's SIGTERM, or its death (kill -9 included), stops the cell at a
  // checkpoint; the trainer it started follows (see run_with_lines).
  install_stop_forwarding();
  die_with_parent(SIGTERM, parent);
  RunOptions o = opt;
  o.echo = false;
  std::string message;
  int rc = kExitError;
  try {
    const CellFolder folder(opt.paths.results, cell.id);
    fs::create_directories(folder.dir());
    if (!std::freopen(folder.runner_log().c_str(), "a", stdout))
      throw std::runtime_error(write_failure_message(folder.runner_log(), errno));
    dup2(fileno(stdout), 2);
    rc = run_cell(grid, cell, o, &message);
  } catch (const std::exception& e) {
    message = e.what();
  }
  std::fflush(stdout);
  // One short line: the pipe holds it after we are gone, until the parent reads it.
  message = message.substr(0, 1000);
  if (write(msg_fd, message.data(), message.size()) < 0) { /* the exit code still tells */ }
  _exit(rc);
}

class LocalRunner {
 public:
  LocalRunner(const Grid& grid, const RunOptions& opt)
      : grid_(grid), opt_(opt), n_(grid.cells.size()), state_(n_, S::Todo), why_(n_) {}
  int run();

 private:
  enum class S { Todo, Running, Done, Failed, Skipped };
  struct Child {
    int index;
    int msg_fd;
    double started;
  };

  void scan();
  int next_ready();
  void start(int index);
  void finish(pid_t pid, int status);
  void report_done(int index, double secs);
  size_t count(S s) const { return std::count(state_.begin(), state_.end(), s); }
  const std::string& id(int index) const { return grid_.cells[index].id; }

  const Grid& grid_;
  const RunOptions& opt_;
  const size_t n_;
  std::vector<S> state_;
  std::vector<std::string> why_;  // Failed or Skipped: a clause about the cell, "failed: ..."
  std::map<pid_t, Child> children_;
  size_t finished_now_ = 0;
  double run_start_ = epoch_seconds();
};

// The state of every cell from the results folder, before anything starts.
void LocalRunner::scan() {
  size_t already = 0;
  DataIdentities identities;  // each data folder read once
  for (const auto& c : grid_.cells) {
    CellState st = inspect_cell(grid_, c, opt_.paths, identities);
    if (st.status == CellStatus::Done) {
      state_[c.index] = S::Done;
      ++already;
    } else if (st.status == CellStatus::Stale && !opt_.rerun_stale) {
      std::cout << "xfer_grid: " << c.id << ": stale: " << st.reason
                << " (pass --rerun-stale to start it again)\n";
      state_[c.index] = S::Failed;
      why_[c.index] = "is stale";
    } else if (st.diverged) {
      std::cout << "xfer_grid: " << c.id << ": " << st.reason
                << "; not retried (change the solver settings, or move its folder away)\n";
      state_[c.index] = S::Failed;
      why_[c.index] = "failed: " + st.reason;
    }
  }
  std::cout << "xfer_grid: grid '" << grid_.config.name << "': " << n_ << " cells, " << already
            << " already done, running " << std::max(1, opt_.jobs) << " at a time\n"
            << std::flush;
}

// The first cell whose bases are done, or -1. Cells whose base did not finish
// here are marked skipped on the way, with the base's story.
int LocalRunner::next_ready() {
  for (const auto& c : grid_.cells) {
    if (state_[c.index] != S::Todo) continue;
    bool ready = true;
    for (int d : c.deps) {
      if (state_[d] == S::Failed || state_[d] == S::Skipped) {
        state_[c.index] = S::Skipped;
        why_[c.index] = "was skipped";
        std::cout << "xfer_grid: " << c.id << ": skipped, its base " << id(d) << " " << why_[d]
                  << "\n";
        ready = false;
        break;
      }
      if (state_[d] != S::Done) ready = false;
    }
    if (ready) return c.index;
  }
  return -1;
}

void LocalRunner::start(int index) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::cout.flush();
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    run_child(grid_, grid_.cells[index], opt_, fds[1], parent);
  }
  close(fds[1]);
  children_[pid] = Child{index, fds[0], epoch_seconds()};
  state_[index] = S::Running;
  std::cout << "xfer_grid: [start] " << id(index) << "\n" << std::flush;
}

void LocalRunner::report_done(int index, double secs) {
  const size_t done = count(S::Done);
  // ETA from this run's pace so far (cells finished per second, with however
  // many run at once), over the cells still to train.
  const double rate = finished_now_ / std::max(epoch_seconds() - run_start_, 1e-9);
  const long eta = std::lround((n_ - done) / std::max(rate, 1e-9));
  char took[96];
  std::snprintf(took, sizeof took, "%.1f s; ETA %s", secs, format_duration(double(eta)).c_str());
  std::cout << "xfer_grid: [done " << done << "/" << n_ << "] " << id(index) << " (" << took << ")\n";
}

void LocalRunner::finish(pid_t pid, int status) {
  const Child child = children_.at(pid);
  children_.erase(pid);
  const int index = child.index;
  std::string message(1024, '\0');
  ssize_t got = read(child.msg_fd, message.data(), message.size());
  message.resize(got > 0 ? size_t(got) : 0);
  close(child.msg_fd);
  const ProcessEnd end = process_end(status);
  const int rc = end.signal ? -1 : end.code;
  if (message.empty())
    message = end.signal ? "its runner was " + describe_kill(end.signal) : "exit " + std::to_string(rc);
  ++finished_now_;
  const CellFolder folder(opt_.paths.results, id(index));
  if (rc == kExitDone) {
    state_[index] = S::Done;
    report_done(index, epoch_seconds() - child.started);
  } else if (rc == kExitStopped) {
    state_[index] = S::Todo;
    std::cout << "xfer_grid: [stopped] " << id(index) << ": checkpoint written\n";
  } else if (rc == kExitBusy) {
    state_[index] = S::Skipped;
    why_[index] = "is " + message.substr(0, message.rfind("; skipped"));
    std::cout << "xfer_grid: " << id(index) << ": " << message << "\n";
  } else {
    state_[index] = S::Failed;
    why_[index] = "failed: " + message;
    std::cout << "xfer_grid: [failed] " << id(index) << ": " << message;
    if (fs::exists(folder.train_log())) std::cout << " (see " << folder.train_log() << ")";
    std::cout << "\n";
  }
  std::cout << std::flush;
}

int LocalRunner::run() {
  scan();
  struct sigaction sa {};
  sa.sa_handler = request_local_stop;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaction(s, &sa, nullptr);
  bool stop_sent = false;
  for (;;) {
    if (g_local_stop && !stop_sent) {
      std::cout << "xfer_grid: stopping: each running cell writes a checkpoint\n" << std::flush;
      for (const auto& [pid, child] : children_) kill(pid, SIGTERM);
      stop_sent = true;
    }
    while (!g_local_stop && children_.size() < static_cast<size_t>(std::max(1, opt_.jobs))) {
      int next = next_ready();
      if (next < 0) break;
      start(next);
    }
    if (children_.empty()) break;
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (children_.count(pid)) finish(pid, status);
  }
  std::cout << "xfer_grid: " << count(S::Done) << "/" << n_ << " cells done, " << count(S::Failed)
            << " failed, " << count(S::Skipped) << " skipped; "
            << static_cast<long>(epoch_seconds() - run_start_) << " s this run\n";
  if (g_local_stop) return kExitStopped;
  return count(S::Done) == n_ ? 0 : 1;
}

}  // namespace

int run_local(const Grid& grid, const RunOptions& opt) {
  if (std::string p = trainer_problem(opt.paths.trainer); !p.empty()) {
    std::cerr << "xfer_grid: " << p << "\n";
    return kExitUsage;
  }
  return LocalRunner(grid, opt).run();
}

}  // namespace xfer
