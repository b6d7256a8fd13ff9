// atomic_file.h: writing output files so that a reader never sees half of one:
// write to a temporary name in the same folder, then rename over the target.
#pragma once

#include <filesystem>
#include <string>

namespace xfer {

// The temporary name used for `target`: same folder, so rename() is atomic.
std::filesystem::path temp_name_for(const std::filesystem::path& target);

// Writes `content` to `target` atomically. Throws std::runtime_error naming
// the file on failure (and leaves no temporary behind).
void write_file_atomically(const std::filesystem::path& target, const std::string& content);

// Renames a finished temporary onto `target`; throws naming both on failure.
void commit_file(const std::filesystem::path& temp, const std::filesystem::path& target);

}  // namespace xfer
