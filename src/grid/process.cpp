// process.cpp: starting, stopping and naming the end of the grid runner's
// child processes (see process.h).
#include "grid/process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/exit_codes.h"
#include "io/atomic_file.h"  // write_failure_message

namespace xfer {

namespace {

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_stop_requested = 0;  // the first stop signal, 0 before any
volatile sig_atomic_t g_forwarded = 0;

void forward_signal(int sig) {
  if (!g_stop_requested) g_stop_requested = sig;
  if (g_child > 0 && !g_forwarded) {
    g_forwarded = 1;
    kill(static_cast<pid_t>(g_child), kStopSignal);
  }
}

}  // namespace

void install_stop_forwarding() {
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads see EINTR
  for (int s : {SIGUSR1, SIGTERM, SIGINT}) sigaction(s, &sa, nullptr);
}

bool stop_requested() { return g_stop_requested != 0; }

int stop_signal() { return g_stop_requested; }

void die_with_parent(int sig, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, sig);
  // The parent may have died between fork() and prctl(): then nobody sends it.
  if (getppid() != parent) raise(sig);
}

ProcessEnd process_end(int wait_status) {
  if (WIFSIGNALED(wait_status)) return {128 + WTERMSIG(wait_status), WTERMSIG(wait_status)};
  if (!WIFEXITED(wait_status)) return {1, 0};
  const int code = WEXITSTATUS(wait_status);
  if (code > 128 && code - 128 < NSIG) return {code, code - 128};
  return {code, 0};
}

std::string signal_name(int sig) {
  // A table rather than sigabbrev_np(), which older glibc (RHEL 8) lacks.
  static const std::pair<int, const char*> names[] = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};
  for (const auto& [s, name] : names)
    if (s == sig) return name;
  return "signal " + std::to_string(sig);
}

std::string describe_kill(int sig) {
  return "killed by " + signal_name(sig) + (sig == SIGKILL ? " (out of memory?)" : "");
}

namespace {

// fork + exec of `cmd` with stdout and stderr on `out_fd`; returns the pid.
pid_t spawn(const std::vector<std::string>& cmd, int out_fd, int other_fd) {
  const pid_t parent = getpid();
  g_forwarded = 0;
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  close(out_fd);
  close(other_fd);
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  for (int s : {SIGUSR1, SIGTERM, SIGINT, SIGPIPE}) sigaction(s, &sa, nullptr);
  // The trainer (or mpirun, or srun) must not run on alone when its runner is
  // killed: the stop signal makes it checkpoint and go, and mpirun and srun
  // pass it on to their ranks (a SIGKILLed mpirun would leave them running).
  die_with_parent(kStopSignal, parent);
  if (geteuid() == 0) {  // mpirun refuses root without these
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  std::vector<char*> argv;
  for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "xfer_grid: cannot run %s: %s\n", argv[0], std::strerror(errno));
  _exit(kExitCannotExec);
}

}  // namespace

ProcessEnd run_with_lines(const std::vector<std::string>& cmd,
                          const std::function<void(const std::string&)>& on_line) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = spawn(cmd, fds[1], fds[0]);
  g_child = pid;
  close(fds[1]);
  if (g_stop_requested) {  // a stop asked for while starting
    g_forwarded = 1;
    kill(pid, kStopSignal);
  }
  std::string partial;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      on_line(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  if (!partial.empty()) on_line(partial);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  return process_end(status);
}

ProcessEnd run_teed(const std::vector<std::string>& cmd, const std::string& log, bool echo,
                    const std::function<std::string()>& stamp, std::deque<std::string>& tail) {
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error(write_failure_message(log, errno));
  ProcessEnd end = run_with_lines(cmd, [&](const std::string& text) {
    std::string line = stamp() + " | " + text + "\n";
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
  });
  close(log_fd);
  return end;
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

}  // namespace xfer
