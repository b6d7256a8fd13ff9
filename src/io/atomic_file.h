// atomic_file.h: results and checkpoints are written to a temporary name in
// the same folder and renamed into place, so a reader (or a killed writer)
// never sees half a file and an older complete file is never lost.
#pragma once

#include <string>

namespace xfer {

// "<path>.tmp.<pid>": unique per writer, in the same folder (same filesystem).
std::string temp_path_for(const std::string& path);
// fsyncs and renames tmp onto path.
void commit_file(const std::string& tmp, const std::string& path);
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace xfer
