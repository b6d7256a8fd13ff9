// provenance.cpp: see provenance.h.
#include "train/provenance.h"

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "comm/library_versions.h"
#include "core/check.h"  // this_host
#include "io/h5.h"      // h5_library_versions

namespace xfer {

LibraryVersions engine_library_versions() {
  LibraryVersions v = h5_library_versions();
  for (auto& l : backend_library_versions()) v.push_back(std::move(l));
  for (auto& l : comm_library_versions()) v.push_back(std::move(l));
  return v;
}

std::string provenance_json(int ranks) {
  nlohmann::json libs = nlohmann::json::object();
  for (const auto& [name, version] : engine_library_versions()) libs[name] = version;
  nlohmann::json j = {{"code_version", code_version()}, {"libraries", libs},
                      {"host", this_host()},           {"cpu", cpu_model()},
                      {"ranks", ranks},                {"command", command_line()}};
  return j.dump();
}

}  // namespace xfer
