# scratch.sh: what the ctest shell scripts share (sourced, not run). Sets
# `src` and `bin` from ctest's XFER_SOURCE_DIR and XFER_BIN_DIR, makes the
# scratch folder `work` (removed on exit) and defines fail(), which names the
# script. Usage: `source "$(dirname "$0")/../scratch.sh" NAME`.
set -euo pipefail
scratch_name=$1
src=${XFER_SOURCE_DIR:?}
bin=${XFER_BIN_DIR:?}
work=$(mktemp -d "/tmp/xfer_${scratch_name}_XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "$scratch_name: FAIL: $*" >&2; exit 1; }
