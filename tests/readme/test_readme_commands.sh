#!/usr/bin/env bash
# test_readme_commands.sh: every `build/bin/...` command in the README's sh
# blocks runs as written (from a scratch copy of the layout: build/bin and
# ../shared beside it), exit 0. Commands that need SLURM, ImageNet or a
# trained grid (make, sbatch) are not run here; their pieces are tested
# elsewhere (tests/slurm, tests/data). Nor is the "Your own images" block,
# which reads the user's folders (~/...): OwnData.PrepareDefineRunTabulate
# (tests/data/test_prep_images.cpp) runs those commands on Fashion-MNIST
# written as PNG folders, with a short schedule. A results folder a command
# reads (--results R) is made empty first, as if its grid had not finished a cell.
# shellcheck source=../scratch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh" test_readme_commands

mkdir -p "$work/project/build"
ln -s "$bin" "$work/project/build/bin"
ln -s "$(cd "$src/.." && pwd)/shared" "$work/shared"
cd "$work/project"
n=0
while IFS= read -r line; do
  cmd=${line%%  #*}  # the README's trailing comments
  if [[ $cmd =~ --results\ ([^ ]+) ]]; then mkdir -p "${BASH_REMATCH[1]}"; fi
  out=$(timeout 300 bash -c "$cmd" 2>&1) || fail "README command failed: $cmd
$(tail -5 <<<"$out")"
  n=$((n + 1))
done < <(awk '/^```sh/{f=1; next} /^```/{f=0} f' "$src/README.md" | grep '^build/bin/' | grep -v -e '~/' -e 'own-data')
((n >= 5)) || fail "only $n build/bin commands found in README.md"
echo "test_readme_commands: PASS ($n commands from README.md ran as written)"
