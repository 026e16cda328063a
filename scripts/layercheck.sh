#!/usr/bin/env bash
# layercheck.sh [ROOT] -- every #include "dir/file.h" in the layered source
# folders points at the file's own folder or at a layer below it; every
# include of a project header is folder-qualified; plugins include only the
# ABI header and their own folder. Prints one line per violation; exit 1 if any.
#
# The layers, bottom to top (docs/architecture.md). Folders on one rank may
# not include each other.
set -euo pipefail
root=${1:-.}
declare -A rank=(
  [base]=0
  [datasets]=1 [models]=1 [plugins]=1
  [formats]=2
  [train]=3 [posterior]=3
  [host]=4
  [protocols]=5
  [cli]=6
)
bad=0
for dir in "${!rank[@]}"; do
  [ -d "$root/$dir" ] || continue
  for f in "$root/$dir"/*.[ch]; do
    [ -e "$f" ] || continue
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
      inc=${BASH_REMATCH[1]}
      rel=${f#"$root"/}
      if [ "$dir" = plugins ]; then
        [[ $inc == */* ]] && { echo "$rel:$n: plugin includes \"$inc\" (plugins see only their own folder)"; bad=1; }
        continue
      fi
      if [[ $inc != */* ]]; then
        echo "$rel:$n: \"$inc\" is not folder-qualified"; bad=1; continue
      fi
      to=${inc%%/*}
      if [ -z "${rank[$to]+x}" ]; then
        echo "$rel:$n: \"$inc\" is not in a layered folder"; bad=1; continue
      fi
      [ "$to" = "$dir" ] && continue
      if [ "${rank[$to]}" -ge "${rank[$dir]}" ]; then
        echo "$rel:$n: $dir (layer ${rank[$dir]}) includes \"$inc\" (layer ${rank[$to]})"; bad=1
      fi
    done < "$f"
  done
done
exit $bad
