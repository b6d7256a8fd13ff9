// process.h: the child processes of the grid runner (a cell's runner, the
// trainer or its launcher): started so that they never outlive the process
// that started them, stopped with the one signal every launcher passes on, and
// ended in words a person can act on ("killed by SIGKILL (out of memory?)"),
// their output read line by line or teed into a log.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace xfer {

// The stop request passed on to a trainer: it checkpoints and exits kExitStopped.
// Through mpirun or srun only SIGUSR1 reaches the ranks unharmed (mpirun kills
// them on SIGTERM, and leaves them running when it is itself SIGKILLed).
constexpr int kStopSignal = SIGUSR1;

// From now on SIGUSR1, SIGTERM and SIGINT are recorded (stop_requested()) and
// passed on once, as kStopSignal, to the child run_with_lines() waits for.
void install_stop_forwarding();
bool stop_requested();
// The signal that first asked to stop (SIGUSR1: SLURM's warning before the
// time limit; SIGTERM: scancel, preemption), 0 when none did.
int stop_signal();

// Call in a child right after fork(): it is sent `sig` when the thread that
// forked it dies, kill -9 included (PR_SET_PDEATHSIG, kept across exec), and
// raises `sig` at once if `parent` is already gone (it died before the prctl).
void die_with_parent(int sig, pid_t parent);

// How a child ended. A launcher (mpirun, srun) or a shell reports a process
// killed by signal N with the status 128 + N, so that counts as killed by N too.
struct ProcessEnd {
  int code = 0;    // the exit status, or 128 + signal when killed
  int signal = 0;  // the signal that killed it, 0 when it exited
};
ProcessEnd process_end(int wait_status);

// "SIGKILL", "SIGSEGV", ... ("signal N" for the rest).
std::string signal_name(int sig);
// "killed by SIGSEGV"; SIGKILL adds "(out of memory?)", the OOM killer's signal.
std::string describe_kill(int sig);

// Runs `cmd` in a child that dies with this thread (kStopSignal), its stdout
// and stderr into a pipe, and calls `on_line` for each line of output (without
// the newline). Returns when the child has ended and its output is read.
ProcessEnd run_with_lines(const std::vector<std::string>& cmd,
                          const std::function<void(const std::string&)>& on_line);

// run_with_lines() with the output teed: each line is appended to the file
// `log` after `stamp()` and " | " and, when `echo`, written to stdout; `tail`
// keeps the last 8 non-empty lines for an error message.
ProcessEnd run_teed(const std::vector<std::string>& cmd, const std::string& log, bool echo,
                    const std::function<std::string()>& stamp, std::deque<std::string>& tail);

// The line of `tail` that most likely says why a process failed: the last
// that mentions an error, else the last one ("no output" when empty).
std::string failure_reason(const std::deque<std::string>& tail);

}  // namespace xfer
