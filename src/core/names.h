// names.h: what may become a file or folder name, or a scheduler argument.
// Split and view names become folders (<data>/<split><half>), cell ids and
// SLURM job names; config values become sbatch arguments. One rule for each,
// used by every tool that takes such a name or value (the grid, the data
// preparation tools), so no tool accepts what another refuses.
#pragma once

#include <string>
#include <string_view>

namespace xfer {

// "" when `name` is a valid split name: letters, digits, '_' and '-', not
// empty; otherwise what is wrong ("a split's name is letters, digits, '_' and
// '-'", naming it).
std::string split_name_problem(std::string_view name);

// "" when `value` holds no control character (bytes below 0x20, newline and
// tab included, and 0x7f); otherwise which byte and where, e.g. "holds a
// control character (0x0a at byte 3)". A newline in a value that becomes an
// sbatch argument or an INI line would make it two.
std::string control_character_problem(std::string_view value);

// `value` with each control character written as \xNN, for a message that
// must stay one line.
std::string escape_control_characters(std::string_view value);

}  // namespace xfer
