// test_names.cpp: the one rule for split names and for values that become
// scheduler arguments (core/names.h), and lists that would fill the memory
// (core/cli.h); label faults.
#include "core/names.h"

#include <gtest/gtest.h>

#include "core/cli.h"

namespace xfer {
namespace {

TEST(Names, SplitNamesAreLettersDigitsUnderscoreAndDash) {
  for (const char* ok : {"half0", "natman", "my_split-2", "A"}) EXPECT_EQ(split_name_problem(ok), "") << ok;
  EXPECT_EQ(split_name_problem("../evil"), "a split's name is letters, digits, '_' and '-', not '../evil'");
  EXPECT_NE(split_name_problem(""), "");
  EXPECT_NE(split_name_problem("a b"), "");
  EXPECT_EQ(split_name_problem("a\nb"),
            "a split's name is letters, digits, '_' and '-'; this one holds a control character (0x0a at byte 1)");
}

TEST(Names, ControlCharactersAreFoundAndEscaped) {
  EXPECT_EQ(control_character_problem("gpu-partition"), "");
  EXPECT_EQ(control_character_problem("x\n--wrap=id"), "holds a control character (0x0a at byte 1)");
  EXPECT_EQ(control_character_problem("tab\there"), "holds a control character (0x09 at byte 3)");
  EXPECT_EQ(control_character_problem(std::string("del\x7f", 4)), "holds a control character (0x7f at byte 3)");
  EXPECT_EQ(escape_control_characters("a\nb\x01"), "a\\x0Ab\\x01");
  EXPECT_EQ(escape_control_characters("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 is not a control character
}

TEST(Lists, ARangeCannotFillTheMemory) {
  EXPECT_EQ(cli::parse_int_list("0-99999", "--seeds").size(), 100000u);
  try {
    cli::parse_int_list("0-100000000", "--seeds");
    ADD_FAILURE() << "a range of 100,000,001 values accepted";
  } catch (const cli::UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--seeds: '0-100000000' makes the list longer than 100000 values");
  }
  EXPECT_THROW(cli::parse_int_list("0-99999,5-6", "--seeds"), cli::UsageError);
}

}  // namespace
}  // namespace xfer
