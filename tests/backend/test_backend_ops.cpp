// test_backend_ops.cpp: every op case (op_cases.h) on every backend built
// into this binary, one test each, named OpsOn<Backend>.<case>: on the CPU
// its definition and checks, on any other backend its checks and every
// output compared with the CPU's. A backend that cannot run here (no GPU) is
// skipped with the reason. OpCoverage holds the list to the interface: every
// virtual method declared in backend.h (read from the header as built) must
// be named by a case, and a case may name nothing else.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <map>
#include <regex>
#include <set>

#include "backend_interface_text.h"  // generated from src/backend/backend.h
#include "gpu_test_util.h"
#include "op_cases.h"

namespace xfer::testing {
namespace {

constexpr const char* kReference = "cpu";

std::string suite_name(const std::string& backend) {
  std::string s = backend;
  if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
  return "OpsOn" + s;
}

::testing::AssertionResult same_bits(const std::vector<float>& got,
                                     const std::vector<float>& want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "element " << i << " of " << got.size() << ": got "
                                           << got[i] << ", want " << want[i] << " (bit for bit)";
  return ::testing::AssertionSuccess();
}

class OpCaseTest : public ::testing::Test {
 public:
  OpCaseTest(const OpCase& c, std::string backend) : c_(c), backend_(std::move(backend)) {}

  void TestBody() override {
    std::string why;
    if (!backend_available(backend_, &why))
      GTEST_SKIP() << "skipped: the " << backend_ << " backend cannot run here (" << why
                   << "); its op cases need it";
    auto be = make_backend(backend_, 0, 2);
    ASSERT_EQ(be->name(), backend_);
    be->set_tf32(c_.tf32);
    const bool reference = backend_ == kReference;
    if (reference && c_.definition) {
      SCOPED_TRACE("the definition, on " + backend_);
      c_.definition(*be);
    }
    if (c_.check) {
      SCOPED_TRACE("the checks, on " + backend_);
      c_.check(*be);
    }
    if (!c_.compare) return;
    const Outputs got = c_.compare(*be);
    if (reference) return;  // run, to be compared with on the others
    const Outputs want = c_.compare(*make_backend(kReference, 0, 2));
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const Tol& t = want[i].tol;
      EXPECT_TRUE(t.bits ? same_bits(got[i].values, want[i].values)
                         : near_all(got[i].values, want[i].values, t.rtol, t.atol))
          << want[i].name << ": " << backend_ << " against " << kReference;
    }
  }

 private:
  const OpCase& c_;
  std::string backend_;
};

// One test per (backend, case), registered before main runs, so that
// --gtest_list_tests (and ctest's discovery) sees them all.
[[maybe_unused]] const bool registered = [] {
  for (const std::string& b : built_backends())
    for (const OpCase& c : op_cases()) {
      if (b == kReference && !c.on_cpu) continue;
      ::testing::RegisterTest(suite_name(b).c_str(), c.name.c_str(), nullptr, nullptr, __FILE__,
                              __LINE__, [&c, b]() -> OpCaseTest* { return new OpCaseTest(c, b); });
    }
  return true;
}();

// ---------------------------------------------------------------------------
// The list against the interface.

// "Class::method" for every virtual method (destructors aside) of every
// class or struct in the header's text.
std::set<std::string> interface_methods(std::string text) {
  text = std::regex_replace(text, std::regex("//[^\n]*"), "");
  std::set<std::string> out;
  const std::regex head(R"((class|struct)\s+(\w+)[^;{]*\{)");
  const std::regex method(R"(virtual[^;{(]*?(~?\w+)\s*\()");
  for (std::sregex_iterator it(text.begin(), text.end(), head), end; it != end; ++it) {
    const size_t start = size_t(it->position(0) + it->length(0));
    size_t i = start;
    for (int depth = 1; i < text.size() && depth > 0; ++i) {
      if (text[i] == '{') ++depth;
      if (text[i] == '}') --depth;
    }
    const std::string body = text.substr(start, i - start);
    for (std::sregex_iterator m(body.begin(), body.end(), method); m != end; ++m)
      if ((*m)[1].str()[0] != '~') out.insert((*it)[2].str() + "::" + (*m)[1].str());
  }
  return out;
}

TEST(OpCoverage, TheHeaderIsReadWhole) {
  const auto methods = interface_methods(kBackendInterfaceText);
  // A few that must be there, whatever else is: a parse that found these
  // reads the classes and their multi-line declarations.
  for (const char* m : {"Backend::make_conv", "Backend::softmax_loss_backward",
                        "Backend::sgd_update", "WeightedOp::backward_weights", "LrnOp::backward",
                        "Backend::native_stream", "Backend::set_tf32"})
    EXPECT_TRUE(methods.count(m)) << m << " not found in backend.h's text";
  EXPECT_GE(methods.size(), 25u);
}

TEST(OpCoverage, ReadsEveryVirtualDeclarationAndNoComment) {
  const char* text = R"(
    struct Desc { int n = 0; int out() const; };
    class Backend {
     public:
      virtual ~Backend() = default;
      virtual std::unique_ptr<ConvOp> make_conv(const ConvDesc& d) = 0;
      // virtual void commented_out(int) = 0;
      virtual LossStats two_lines(const float* logits,
                                  int n) = 0;
      virtual void with_body(bool on) {}
      void not_virtual();
    };
    class Op { public: virtual void forward(const float* x) = 0; };)";
  EXPECT_EQ(interface_methods(text),
            (std::set<std::string>{"Backend::make_conv", "Backend::two_lines", "Backend::with_body",
                                   "Op::forward"}));
}

TEST(OpCoverage, EveryBackendMethodHasACase) {
  std::set<std::string> covered;
  for (const OpCase& c : op_cases()) covered.insert(c.covers.begin(), c.covers.end());
  for (const std::string& m : interface_methods(kBackendInterfaceText))
    EXPECT_TRUE(covered.count(m)) << m << " (src/backend/backend.h) is exercised by no case: add "
                                  << "one to tests/backend/op_cases*.cpp that names it in covers";
}

TEST(OpCoverage, CasesNameOnlyInterfaceMethods) {
  const auto methods = interface_methods(kBackendInterfaceText);
  for (const OpCase& c : op_cases())
    for (const std::string& m : c.covers)
      EXPECT_TRUE(methods.count(m)) << c.name << " covers " << m << ", not in backend.h";
}

TEST(OpCoverage, CasesAreNamedOnceAndCheckSomething) {
  std::map<std::string, int> seen;
  for (const OpCase& c : op_cases()) {
    EXPECT_EQ(++seen[c.name], 1) << "two cases are called " << c.name;
    EXPECT_TRUE(std::regex_match(c.name, std::regex("[A-Za-z0-9_]+"))) << c.name;
    EXPECT_TRUE(c.compare || c.definition || c.check) << c.name << " checks nothing";
    EXPECT_FALSE(c.covers.empty() && !c.definition) << c.name << " covers no method";
    // A case only for device backends must compare or check there.
    EXPECT_TRUE(c.on_cpu || c.compare || c.check) << c.name;
  }
}

TEST(OpCoverage, EveryBuiltBackendIsKnownToTheRegistry) {
  const auto built = built_backends();
  ASSERT_FALSE(built.empty());
  EXPECT_EQ(built.front(), kReference);
  for (const std::string& b : built) {
    std::string why;
    const bool usable = backend_available(b, &why);
    EXPECT_TRUE(usable || !why.empty()) << b << " is unavailable with no reason given";
  }
  std::string why;
  EXPECT_FALSE(backend_available("tpu", &why));
  EXPECT_NE(why.find("tpu"), std::string::npos) << why;
}

}  // namespace
}  // namespace xfer::testing
