// test_cli.cpp: the command-line convention every tool follows: --config
// files with the tools' option names (the command line wins), usage errors
// exit 2 and runtime errors exit 1 with one line on stderr, one rule for
// integer ranges.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/cli.h"

namespace xfer {
namespace {

namespace po = boost::program_options;

TEST(Cli, IntegerListsAndRanges) {
  EXPECT_EQ(cli::parse_int_list("1-3, 5,7-7", "--n"), (std::vector<int>{1, 2, 3, 5, 7}));
  EXPECT_EQ(cli::parse_int_list("-2", "--n"), (std::vector<int>{-2}));
  EXPECT_TRUE(cli::parse_int_list("", "--n").empty());
  for (const char* bad : {"3-1", "a", "1-", "2x", "1-3-5"}) {
    try {
      cli::parse_int_list(bad, "--seeds");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const cli::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--seeds"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(cli::parse_string_list(" a, b ,,c"), (std::vector<std::string>{"a", "b", "c"}));
}

struct Parsed {
  bool ran = false;
  int threads = 0;
  std::string out;
};

// Parses `args` with a tool's options: --threads, --out, and the common ones.
Parsed parse(std::vector<const char*> args) {
  Parsed p;
  po::options_description desc("tool");
  cli::add_common_options(desc);
  desc.add_options()("threads", po::value(&p.threads)->default_value(1), "threads")(
      "out", po::value(&p.out), "output");
  args.insert(args.begin(), "tool");
  po::variables_map vm;
  p.ran = cli::parse(int(args.size()), args.data(), desc, vm);
  return p;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    (name + "." + std::to_string(getpid()) + ".ini");
  std::ofstream(path) << text;
  return path.string();
}

TEST(Cli, ConfigFileUsesTheOptionNamesAndTheCommandLineWins) {
  const std::string ini = write_temp("cli_config", "threads = 7\nout = from-file\n");
  Parsed p = parse({"--config", ini.c_str(), "--out", "from-command-line"});
  EXPECT_TRUE(p.ran);
  EXPECT_EQ(p.threads, 7);
  EXPECT_EQ(p.out, "from-command-line");
  std::filesystem::remove(ini);
}

TEST(Cli, BadConfigFilesAreUsageErrorsNamingTheFile) {
  const std::string ini = write_temp("cli_bad", "colour = blue\n");
  try {
    parse({"--config", ini.c_str()});
    ADD_FAILURE() << "an unknown key was accepted";
  } catch (const cli::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(ini), std::string::npos) << e.what();
  }
  std::filesystem::remove(ini);
  EXPECT_THROW(parse({"--config", "/nonexistent/x.ini"}), cli::UsageError);
}

// Program_options (1.74) fills an error's placeholders (%value%, ...) with the
// offending input until none is left: input holding a placeholder never
// finished (found by fuzz_grid_config). Each is refused at once, by name.
TEST(Cli, InputHoldingAPlaceholderIsRefusedNotAHang) {
  auto refused = [](std::vector<const char*> args, const std::string& want) {
    try {
      parse(std::move(args));
      ADD_FAILURE() << "accepted";
    } catch (const cli::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  refused({"--threads", "%value%"}, "'--threads': its value is not valid (input holding a %name% placeholder");
  refused({"--%canonical_option%"}, "unknown option");
  const std::string ini = write_temp("cli_placeholder", "x%invalid_line%y\n");
  refused({"--config", ini.c_str()}, ini + ": an input: a line is neither [section], name = value nor a comment");
  std::filesystem::remove(ini);
  // Without a placeholder the library's own words stay.
  refused({"--threads", "seven"}, "the argument ('seven') for option '--threads' is invalid");
}

TEST(Cli, HelpPrintsAndDoesNotRun) {
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse({"--help"}).ran);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("--config"), std::string::npos) << out;
}

// What run_tool() returns and prints to stderr for a body that throws `e`.
template <class E>
std::pair<int, std::string> outcome_of(const E& e) {
  ::testing::internal::CaptureStderr();
  const int rc = cli::run_tool("tool", [&]() -> int { throw e; });
  return {rc, ::testing::internal::GetCapturedStderr()};
}

TEST(Cli, UsageErrorsExitTwoRuntimeErrorsOneEachInOneLine) {
  auto [rc, err] = outcome_of(cli::UsageError("--threads must be positive, got 0"));
  EXPECT_EQ(rc, 2);
  EXPECT_EQ(err, "tool: --threads must be positive, got 0 (see tool --help)\n");
  std::tie(rc, err) = outcome_of(po::unknown_option("--colour"));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("--colour"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  std::tie(rc, err) = outcome_of(std::runtime_error("data/x/manifest.json: missing manifest"));
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "tool: error: data/x/manifest.json: missing manifest\n");
  EXPECT_EQ(cli::run_tool("tool", [] { return 0; }), 0);
}

}  // namespace
}  // namespace xfer
