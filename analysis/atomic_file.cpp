// atomic_file.cpp: temp-name-then-rename file writing.
#include "analysis/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace xfer {

std::filesystem::path temp_name_for(const std::filesystem::path& target) {
  // The pid keeps two concurrent writers of the same file apart; the
  // extension is kept so that tools choosing a format by name still can.
  auto p = target;
  std::string name = ".";  // built with += : GCC 12 warns falsely on "literal" + string
  name += target.stem().string();
  name += ".tmp";
  name += std::to_string(::getpid());
  name += target.extension().string();
  p.replace_filename(name);
  return p;
}

void commit_file(const std::filesystem::path& temp, const std::filesystem::path& target) {
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw std::runtime_error("cannot rename " + temp.string() + " to " + target.string());
  }
}

void write_file_atomically(const std::filesystem::path& target, const std::string& content) {
  auto temp = temp_name_for(target);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      throw std::runtime_error("cannot write " + target.string());
    }
  }
  commit_file(temp, target);
}

}  // namespace xfer
