// runner.cpp: one cell's attempt (launch, tee, signals, bookkeeping) and the
// local whole-grid runner.
#include "grid/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace xfer {

Launch parse_launch(const std::string& s) {
  if (s == "auto") return Launch::Auto;
  if (s == "none") return Launch::None;
  if (s == "srun") return Launch::Srun;
  if (s == "mpirun") return Launch::Mpirun;
  throw std::runtime_error("--launch '" + s + "': use auto, none, srun or mpirun");
}

namespace {

// ---------------------------------------------------------------------------
// Signals. The trainer checkpoints and exits 75 on SIGUSR1 or SIGTERM. Through
// mpirun or srun only SIGUSR1 is passed on to the ranks unharmed (mpirun kills
// them on SIGTERM), so every stop request becomes one SIGUSR1 to the launcher.

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_stop_requested = 0;
volatile sig_atomic_t g_forwarded = 0;
volatile sig_atomic_t g_forward_sig = SIGUSR1;

void forward_signal(int) {
  g_stop_requested = 1;
  if (g_child > 0 && !g_forwarded) {
    g_forwarded = 1;
    kill(static_cast<pid_t>(g_child), g_forward_sig);
  }
}

void install(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads see EINTR
  for (int s : {SIGUSR1, SIGTERM, SIGINT}) sigaction(s, &sa, nullptr);
}

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}

Launch resolve_launch(Launch l, int ranks) {
  if (l != Launch::Auto) return l;
  if (ranks <= 1) return Launch::None;
  return std::getenv("SLURM_JOB_ID") ? Launch::Srun : Launch::Mpirun;
}

int cell_ranks(const Grid& grid, const RunOptions& opt) {
  return opt.ranks > 0 ? opt.ranks : grid.config.slurm.ranks;
}

int cell_threads(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  if (opt.threads > 0) return opt.threads;
  if (cell.solver.threads > 0) return cell.solver.threads;
  if (int c = env_int("SLURM_CPUS_PER_TASK"); c > 0) return c;
  int per = hardware_threads() / (cell_ranks(grid, opt) * std::max(1, opt.jobs));
  return std::max(1, per);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string host_name() {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// Runs `cmd` with stdout and stderr into a pipe; each line goes to `log` with
// its UTC time and, when `echo`, to stdout. Returns the exit code (128 + signal
// when killed); `tail` gets the last lines for an error message.
int run_teed(const std::vector<std::string>& cmd, const std::string& log, bool echo,
             std::deque<std::string>& tail) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log + ": " + std::strerror(errno));

  g_forwarded = 0;
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s : {SIGUSR1, SIGTERM, SIGINT, SIGPIPE}) sigaction(s, &sa, nullptr);
    if (geteuid() == 0) {  // mpirun refuses root without these
      setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
      setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    std::vector<char*> argv;
    for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "xfer_grid: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  g_child = pid;
  close(fds[1]);
  if (g_stop_requested) {  // a stop asked for while starting
    g_forwarded = 1;
    kill(pid, g_forward_sig);
  }

  std::string partial;
  char buf[8192];
  auto emit = [&](const std::string& text) {
    std::string line = utc_now() + " | " + text + "\n";
    if (write(log_fd, line.data(), line.size()) < 0) { /* the log is best effort */ }
    if (echo) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
    if (!text.empty()) {
      tail.push_back(text);
      if (tail.size() > 8) tail.pop_front();
    }
  };
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      emit(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  if (!partial.empty()) emit(partial);
  close(fds[0]);
  close(log_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string failure_reason(const std::deque<std::string>& tail) {
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    std::string low = *it;
    std::transform(low.begin(), low.end(), low.begin(), ::tolower);
    if (low.find("error") != std::string::npos || low.find("fatal") != std::string::npos ||
        low.find("what()") != std::string::npos)
      return *it;
  }
  return tail.empty() ? "no output" : tail.back();
}

int fail(const std::string& id, const std::string& msg, int code = 1) {
  std::cerr << "xfer_grid: " << id << ": " << msg << "\n";
  return code;
}

}  // namespace

std::vector<std::string> cell_command(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  int ranks = cell_ranks(grid, opt);
  std::vector<std::string> cmd;
  switch (resolve_launch(opt.launch, ranks)) {
    case Launch::Srun: {
      cmd = {"srun", "--mpi=pmix", "--ntasks=" + std::to_string(ranks), "--kill-on-bad-exit=1"};
      // srun no longer inherits the batch job's --cpus-per-task (SLURM 22.05).
      if (int c = env_int("SLURM_CPUS_PER_TASK"); c > 0)
        cmd.push_back("--cpus-per-task=" + std::to_string(c));
      if (grid.config.slurm.gpus_per_rank > 0)
        cmd.push_back("--gpus-per-task=" + std::to_string(grid.config.slurm.gpus_per_rank));
      break;
    }
    case Launch::Mpirun:
      cmd = {"mpirun", "-np", std::to_string(ranks), "--oversubscribe", "--bind-to", "none"};
      break;
    default:
      break;
  }
  cmd.push_back(opt.paths.trainer);
  for (auto& a : trainer_args(grid, cell, opt.paths, cell_threads(grid, cell, opt))) cmd.push_back(a);
  return cmd;
}

int run_cell(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  const std::string& id = cell.id;
  const std::string dir = cell_dir(opt.paths.results, id);
  std::vector<std::string> cmd = cell_command(grid, cell, opt);
  if (opt.dry_run) {
    std::cout << join(cmd) << "\n";
    return 0;
  }
  if (access(opt.paths.trainer.c_str(), X_OK) != 0)
    return fail(id, "trainer '" + opt.paths.trainer + "' is not an executable (pass --trainer)", 2);
  std::string data = (fs::path(opt.paths.data) / cell.cell.data_name()).string();
  if (!fs::is_directory(data))
    return fail(id, "data folder '" + data + "' does not exist (prepare the data first)", 2);
  if (cell.cell.needs_base()) {
    std::string base = cell_dir(opt.paths.results, cell.cell.base_of_source().id());
    if (!result_finished(base) || !fs::exists(base + "/final.h5"))
      return fail(id, "its base " + cell.cell.base_of_source().id() + " has not finished");
  }

  CellState st = inspect_cell(grid, cell, opt.paths.results);
  if (st.status == CellStatus::Done) {
    std::cout << "xfer_grid: " << id << ": already done\n";
    return 0;
  }
  if (st.status == CellStatus::Stale) {
    if (!opt.rerun_stale)
      return fail(id, "stale: " + st.reason +
                          "; move the folder away or pass --rerun-stale to start it again");
    std::string stamp = utc_now();  // 2026-01-02T03:04:05Z -> 20260102T030405Z
    stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
                stamp.end());
    // Under a hidden folder, so nothing that reads <results>/*/result.json sees it twice.
    fs::create_directories(fs::path(opt.paths.results) / ".stale");
    std::string aside = (fs::path(opt.paths.results) / ".stale" / (id + "-" + stamp)).string();
    fs::rename(dir, aside);
    st = CellState{};
    std::cout << "xfer_grid: " << id << ": stale folder moved to " << aside << "\n";
  }

  fs::create_directories(dir);
  int max_attempts = opt.max_attempts > 0 ? opt.max_attempts : grid.config.slurm.max_requeues + 1;
  if (!opt.job.empty()) {  // a requeued array task keeps its id: count its starts
    int same_job = 0;
    std::ifstream att(dir + "/attempts.jsonl");
    std::string line;
    while (std::getline(att, line)) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (!e.is_discarded() && e.value("event", "") == "start" && e.value("job", "") == opt.job)
        ++same_job;
    }
    if (same_job >= max_attempts)
      return fail(id, "gave up after " + std::to_string(same_job) + " attempts in job " + opt.job);
  }

  std::string hash = cell_grid_hash(grid, cell, opt.paths.results);
  nlohmann::json cj = {{"id", id},
                       {"grid", grid.config.name},
                       {"grid_hash", hash},
                       {"command", cmd},
                       {"written", utc_now()}};
  write_file_atomic(dir + "/cell.json", cj.dump(2) + "\n");

  bool resume = fs::exists(dir + "/checkpoint.h5");
  int attempt = st.attempts + 1;
  nlohmann::json start = {{"event", "start"}, {"time", utc_now()},   {"attempt", attempt},
                          {"job", opt.job},   {"host", host_name()}, {"resume", resume}};
  append_line(dir + "/attempts.jsonl", start.dump());
  nlohmann::json marker = {{"host", host_name()}, {"pid", static_cast<long>(getpid())},
                           {"job", opt.job}, {"since", utc_now()}};
  write_file_atomic(dir + "/running.json", marker.dump() + "\n");
  append_line(dir + "/train.log", utc_now() + " | # xfer_grid: attempt " + std::to_string(attempt) +
                                      " start job=" + (opt.job.empty() ? "-" : opt.job) +
                                      (resume ? " resume=checkpoint.h5" : " resume=no"));
  std::cout << "xfer_grid: " << id << ": attempt " << attempt
            << (resume ? ", resuming from checkpoint.h5" : ", from the start") << "\n"
            << "xfer_grid: " << join(cmd) << "\n"
            << std::flush;

  install(forward_signal);
  // A closed stdout (`xfer_grid run-cell ... | head`) must not kill the runner
  // and orphan the trainer: writes then fail quietly, train.log keeps everything.
  signal(SIGPIPE, SIG_IGN);
  std::deque<std::string> tail;
  double t0 = now_seconds();
  int rc = run_teed(cmd, dir + "/train.log", opt.echo, tail);
  double secs = now_seconds() - t0;

  std::string reason;
  int code = rc;
  if (rc == 0 && !result_finished(dir)) {
    code = 1;
    reason = "the trainer exited 0 without a finished result.json";
  } else if (rc == 75) {
    reason = "stopped after a checkpoint";
  } else if (rc != 0) {
    reason = failure_reason(tail);
    if (rc != 2) code = 1;
    // Killed by the stop signal itself before it could checkpoint: resumable.
    if (g_stop_requested && rc > 128) code = 75;
  }
  nlohmann::json ex = {{"event", "exit"}, {"time", utc_now()}, {"code", code},
                       {"trainer_code", rc}, {"seconds", secs}, {"reason", reason}};
  append_line(dir + "/attempts.jsonl", ex.dump());
  fs::remove(dir + "/running.json");

  if (code == 0) {
    nlohmann::json r;
    read_json(dir + "/result.json", r);
    if (r.is_object() && r.contains("config_hash")) cj["trainer_config_hash"] = r["config_hash"];
    cj["finished"] = utc_now();
    write_file_atomic(dir + "/cell.json", cj.dump(2) + "\n");
    std::cout << "xfer_grid: " << id << ": done in " << static_cast<long>(secs) << " s\n";
  } else if (code == 75) {
    std::cout << "xfer_grid: " << id << ": stopped after a checkpoint; run again to resume\n";
  } else {
    fail(id, "failed (trainer exit " + std::to_string(rc) + "): " + reason);
  }
  std::cout << std::flush;
  return code;
}

// ---------------------------------------------------------------------------
// The local runner.

namespace {

volatile sig_atomic_t g_local_stop = 0;
void request_local_stop(int) { g_local_stop = 1; }

}  // namespace

int run_local(const Grid& grid, const RunOptions& opt) {
  const size_t n = grid.cells.size();
  enum class S { Todo, Running, Done, Failed, Skipped };
  std::vector<S> state(n, S::Todo);
  size_t already = 0;
  for (const auto& c : grid.cells) {
    CellState st = inspect_cell(grid, c, opt.paths.results);
    if (st.status == CellStatus::Done) {
      state[c.index] = S::Done;
      ++already;
    } else if (st.status == CellStatus::Stale && !opt.rerun_stale) {
      std::cerr << "xfer_grid: " << c.id << ": stale: " << st.reason
                << " (pass --rerun-stale to start it again)\n";
      state[c.index] = S::Failed;
    }
  }
  std::cout << "xfer_grid: grid '" << grid.config.name << "': " << n << " cells, " << already
            << " already done, running " << std::max(1, opt.jobs) << " at a time\n"
            << std::flush;

  struct sigaction sa {};
  sa.sa_handler = request_local_stop;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaction(s, &sa, nullptr);

  std::map<pid_t, int> children;  // pid -> cell index
  std::map<int, double> started;
  bool stop_sent = false;
  size_t finished_now = 0;
  const double run_start = now_seconds();
  double t_start = now_seconds();
  for (;;) {
    if (g_local_stop && !stop_sent) {
      std::cout << "xfer_grid: stopping: each running cell writes a checkpoint\n" << std::flush;
      for (const auto& [pid, idx] : children) kill(pid, SIGTERM);
      stop_sent = true;
    }
    // Start what is ready.
    while (!g_local_stop && children.size() < static_cast<size_t>(std::max(1, opt.jobs))) {
      int next = -1;
      for (const auto& c : grid.cells) {
        if (state[c.index] != S::Todo) continue;
        bool ready = true;
        for (int d : c.deps) {
          if (state[d] == S::Failed || state[d] == S::Skipped) {
            state[c.index] = S::Skipped;
            std::cout << "xfer_grid: " << c.id << ": skipped, its base " << grid.cells[d].id
                      << " did not finish\n";
            ready = false;
            break;
          }
          if (state[d] != S::Done) ready = false;
        }
        if (ready && state[c.index] == S::Todo) {
          next = c.index;
          break;
        }
      }
      if (next < 0) break;
      std::cout.flush();
      pid_t pid = fork();
      if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
      if (pid == 0) {
        setpgid(0, 0);  // a terminal's Ctrl-C reaches the parent only, which stops us cleanly
        RunOptions o = opt;
        o.echo = false;
        int rc = 1;
        try {
          // The runner's own lines (the command, attempts) go beside train.log.
          std::string dir = cell_dir(opt.paths.results, grid.cells[next].id);
          fs::create_directories(dir);
          if (!std::freopen((dir + "/runner.log").c_str(), "a", stdout))
            throw std::runtime_error("cannot write " + dir + "/runner.log");
          rc = run_cell(grid, grid.cells[next], o);
        } catch (const std::exception& e) {
          std::cerr << "xfer_grid: " << grid.cells[next].id << ": " << e.what() << "\n";
        }
        std::fflush(stdout);
        _exit(rc);
      }
      children[pid] = next;
      started[next] = now_seconds();
      state[next] = S::Running;
      std::cout << "xfer_grid: [start] " << grid.cells[next].id << "\n" << std::flush;
    }
    if (children.empty()) break;
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto it = children.find(pid);
    if (it == children.end()) continue;
    int idx = it->second;
    children.erase(it);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    const std::string& id = grid.cells[idx].id;
    double secs = now_seconds() - started[idx];
    ++finished_now;
    if (rc == 0) {
      state[idx] = S::Done;
      size_t done = std::count(state.begin(), state.end(), S::Done);
      // ETA from this run's pace so far (cells finished per second, with
      // however many run at once), over the cells still to train.
      const double rate = finished_now / std::max(now_seconds() - run_start, 1e-9);
      const long eta = std::lround((n - done) / std::max(rate, 1e-9));
      char took[96];
      std::snprintf(took, sizeof took, "%.1f s; ETA %ld:%02ld", secs, eta / 60, eta % 60);
      std::cout << "xfer_grid: [done " << done << "/" << n << "] " << id << " (" << took << ")\n";
    } else if (rc == 75) {
      state[idx] = S::Todo;
      std::cout << "xfer_grid: [stopped] " << id << ": checkpoint written\n";
    } else {
      state[idx] = S::Failed;
      CellState st = inspect_cell(grid, grid.cells[idx], opt.paths.results);
      std::cout << "xfer_grid: [failed] " << id << ": " << st.reason << " (see "
                << cell_dir(opt.paths.results, id) << "/train.log)\n";
    }
    std::cout << std::flush;
  }
  size_t done = std::count(state.begin(), state.end(), S::Done);
  size_t failed = std::count(state.begin(), state.end(), S::Failed);
  size_t skipped = std::count(state.begin(), state.end(), S::Skipped);
  std::cout << "xfer_grid: " << done << "/" << n << " cells done, " << failed << " failed, "
            << skipped << " skipped; " << static_cast<long>(now_seconds() - t_start)
            << " s this run\n";
  if (g_local_stop) return 75;
  return done == n ? 0 : 1;
}

}  // namespace xfer
