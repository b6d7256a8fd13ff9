// test_option_bounds.cpp: values crafted to hurt, refused where the trainer's
// options are parsed (label faults): thread counts past the fixed ceiling
// (which crashed or hung the OpenMP runtime), an fc8 wide enough to wrap an
// int shape, and learning rates or decays that are not finite numbers. One
// message form: the option, the accepted range, the value given.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/train_config.h"

namespace xfer {
namespace {

std::string error_of(std::vector<std::string> extra) {
  std::vector<std::string> args{"xfer_train", "--out", "x"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  try {
    parse_train_config(int(argv.size()), argv.data());
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(OptionBounds, ThreadCountsHaveAFixedCeiling) {
  EXPECT_NE(error_of({"--threads", "100000"}).find("--threads must be in 0..1024 (0: all usable cores), got 100000"),
            std::string::npos)
      << error_of({"--threads", "100000"});
  EXPECT_NE(error_of({"--threads", "20000"}).find("--threads must be in 0..1024"), std::string::npos);
  EXPECT_NE(error_of({"--loader-threads", "20000"}).find("--loader-threads must be in 1..64, got 20000"),
            std::string::npos);
  EXPECT_EQ(error_of({"--threads", "1024", "--loader-threads", "64"}), "");
}

TEST(OptionBounds, Fc8CannotOutgrowItsShape) {
  EXPECT_NE(error_of({"--fc8-outputs", "100000000"}).find("--fc8-outputs must be in 0..100000 (0: the classes), got 100000000"),
            std::string::npos)
      << error_of({"--fc8-outputs", "100000000"});
  EXPECT_EQ(error_of({"--fc8-outputs", "21841"}), "");
}

TEST(OptionBounds, RealValuesMustBeFinite) {
  for (const char* v : {"inf", "-inf", "nan"})
    EXPECT_NE(error_of({"--base-lr", v}).find("--base-lr must be finite and positive, got "), std::string::npos)
        << v << ": " << error_of({"--base-lr", v});
  EXPECT_NE(error_of({"--weight-decay", "inf"}).find("--weight-decay must be finite and >= 0, got inf"),
            std::string::npos)
      << error_of({"--weight-decay", "inf"});
  EXPECT_NE(error_of({"--gamma", "nan"}).find("--gamma must be in (0, 1]"), std::string::npos);
  EXPECT_NE(error_of({"--momentum", "inf"}).find("--momentum must be in [0, 1)"), std::string::npos);
  EXPECT_NE(error_of({"--dropout-ratio", "nan"}).find("--dropout-ratio must be below 1"), std::string::npos);
}

}  // namespace
}  // namespace xfer

namespace xfer {
namespace {

// The residual presets' transfer options: n counts the network's own stages,
// --bn belongs to networks with batch normalisation, and its default is
// frozen there and absent elsewhere (CaffeNet's identities are unchanged).
TEST(OptionBounds, StagesAndBatchNormFollowTheNetwork) {
  const std::vector<std::string> frozen{"--transfer-mode", "frozen", "--base", "b.h5"};
  auto with = [&](std::vector<std::string> v) {
    v.insert(v.end(), frozen.begin(), frozen.end());
    return error_of(v);
  };
  EXPECT_NE(with({"--network", "resnet-small", "--transfer-n", "5"})
                .find("--transfer-n must be in 1..4 for network resnet-small with --transfer-mode frozen, got 5"),
            std::string::npos);
  EXPECT_NE(with({"--network", "resnet18", "--transfer-n", "6"}).find("must be in 1..5 for network resnet18"),
            std::string::npos);
  EXPECT_EQ(with({"--network", "resnet18", "--transfer-n", "5", "--bn", "train"}), "");
  EXPECT_NE(with({"--network", "small", "--transfer-n", "3", "--bn", "frozen"})
                .find("--bn frozen: network small has no batch normalisation"),
            std::string::npos);
  EXPECT_NE(with({"--network", "resnet-small", "--transfer-n", "2", "--bn", "eval"})
                .find("--bn must be frozen or train, got 'eval'"),
            std::string::npos);
}

}  // namespace
}  // namespace xfer
