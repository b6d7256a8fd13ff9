// release_names.cpp: the release's network names -> our cell ids.
#include "analysis/release_names.h"

#include <charconv>
#include <cstdio>
#include <regex>

#include "grid/cell.h"
#include "net/net_spec.h"  // kMaxTransferLayer

namespace xfer {

namespace {

int to_int(const std::string& digits) {
  int v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

// The reduced-volume sizes of the paper (images per class); 1300 is all.
const int kReducedK[] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 1300};

}  // namespace

std::optional<std::string> cell_id_for_release_net(const std::string& net) {
  static const std::regex half(R"(half([0-9])([AB]))");
  static const std::regex natman(R"(halfnatman([AB]))");
  static const std::regex transfer(R"(transfer(-ft)?([0-9])([AB])([0-9])([AB])_1_([1-7]))");
  static const std::regex transfer_natman(R"(transfernatman(AB|BA)_1_([1-7]))");
  static const std::regex nolearn(R"(nolearn_1_([1-7]))");
  static const std::regex reduced(R"(reduced-([0-9]{4}))");
  std::smatch m;
  Cell c;
  if (net == "netbase") {
    c.split = "all";
  } else if (std::regex_match(net, m, half)) {
    c.split = "half" + m[1].str();
    c.target = m[2].str()[0];
  } else if (std::regex_match(net, m, natman)) {
    c.split = "natman";
    c.target = m[1].str()[0];
  } else if (std::regex_match(net, m, transfer)) {
    if (m[2] != m[4]) return std::nullopt;  // source and target from one split
    c.kind = CellKind::Transfer;
    c.split = "half" + m[2].str();
    c.source = m[3].str()[0];
    c.target = m[5].str()[0];
    c.n = to_int(m[6]);
    c.mode = m[1].matched ? TransferMode::Finetune : TransferMode::Frozen;
  } else if (std::regex_match(net, m, transfer_natman)) {
    c.kind = CellKind::Transfer;
    c.split = "natman";
    c.source = m[1].str()[0];
    c.target = m[1].str()[1];
    c.n = to_int(m[2]);
    c.mode = TransferMode::Frozen;
  } else if (std::regex_match(net, m, nolearn)) {
    c.kind = CellKind::Random;
    c.mode = TransferMode::Random;
    c.split = "all";
    c.n = to_int(m[1]);
  } else if (std::regex_match(net, m, reduced)) {
    c.split = "all";
    c.reduced_k = to_int(m[1]);
    if (c.reduced_k < 1) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return c.id();
}

std::vector<std::string> paper_grid_cell_ids() {
  std::vector<std::string> ids;
  auto add = [&](const std::string& net) { ids.push_back(*cell_id_for_release_net(net)); };
  add("netbase");
  for (char t : {'A', 'B'}) {
    for (int s = 0; s < 4; ++s) add("half" + std::to_string(s) + t);
    add(std::string("halfnatman") + t);
  }
  for (int s = 0; s < 4; ++s) {
    std::string d = std::to_string(s);
    for (const char* pair : {"AA", "AB", "BA"}) {
      for (int n = 1; n <= kMaxTransferLayer; ++n) {
        std::string tail = d + pair[0] + d + pair[1] + "_1_" + std::to_string(n);
        add("transfer" + tail);
        if (s < 2) add("transfer-ft" + tail);
      }
    }
  }
  for (int n = 1; n <= kMaxTransferLayer; ++n) {
    add("transfernatmanAB_1_" + std::to_string(n));
    add("transfernatmanBA_1_" + std::to_string(n));
    add("nolearn_1_" + std::to_string(n));
  }
  for (int k : kReducedK) {
    char name[32];
    std::snprintf(name, sizeof name, "reduced-%04d", k);
    add(name);
  }
  return ids;
}

}  // namespace xfer
