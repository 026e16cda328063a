#!/usr/bin/env bash
# layers.sh -- TAP: the source tree keeps its layers (scripts/layercheck.sh),
# and the check itself catches an include that points up the stack, one
# between folders of one rank, and an unqualified one.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
check=$here/scripts/layercheck.sh
echo "1..5"
if out=$("$check" "$here" 2>&1); then echo "ok 1 - the tree's includes respect the layers"
else echo "not ok 1 - the tree's includes respect the layers"; printf '#   %s\n' "$out"; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/models" "$tmp/host" "$tmp/datasets"
printf '#include "models/model.h"\n' > "$tmp/host/ok.c"
printf '#include <stdio.h>\n#include "base/util.h"\n' > "$tmp/models/ok.c"
"$check" "$tmp" >/dev/null 2>&1 && echo "ok 2 - downward includes pass" || echo "not ok 2 - downward includes pass"

printf '#include "host/cell.h"\n' > "$tmp/models/up.c"
out=$("$check" "$tmp" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *'models/up.c:1: models (layer 1) includes "host/cell.h" (layer 4)'* ]] \
  && echo "ok 3 - an include up the stack fails, naming file and line" || { echo "not ok 3 - an include up the stack fails"; echo "#   $out"; }
rm "$tmp/models/up.c"

printf '\n#include "datasets/data.h"\n' > "$tmp/models/side.c"
out=$("$check" "$tmp" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *'models/side.c:2:'* ]] \
  && echo "ok 4 - an include between folders of one rank fails" || { echo "not ok 4 - an include between folders of one rank fails"; echo "#   $out"; }
rm "$tmp/models/side.c"

printf '#include "util.h"\n' > "$tmp/datasets/unq.c"
out=$("$check" "$tmp" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *'not folder-qualified'* ]] \
  && echo "ok 5 - an unqualified include fails" || { echo "not ok 5 - an unqualified include fails"; echo "#   $out"; }
