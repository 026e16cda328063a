#!/usr/bin/env bash
# new_model.sh -- TAP: adding a model is one new file plus one table row.
# Copies the source tree to a temporary directory, drops the test model of
# t/toy_model.c.in in as models/linear.c, appends one row to the model table
# in models/registry.c (sed), builds prunebench and the random plugin there,
# and through the CLI: help lists it, it trains on wine, the random method
# ranks it, protocols P1 (curve) and P2 (noise) run on it, and a service it
# lacks (the Hessian OBD needs) is refused in one line. Nothing else in the
# copy changes: the harness asks for capabilities, never for model kinds.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
echo "1..9"

# the tracked tree (and new files not yet committed), else the source folders
mkdir -p "$src"
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$here" && git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
     [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | (cd "$src" && tar xf -)
else
  (cd "$here" && tar cf - Makefile experiments.mk base datasets models formats train posterior host protocols cli \
     plugins scripts t) | (cd "$src" && tar xf -)
fi
cp -a "$src" "$tmp/orig"

cp "$here/t/toy_model.c.in" "$src/models/linear.c"
sed -i '/\/\* end of the model table \*\//i\    ROW("linear", pb_linear_ops, "linear:<d>-<C>[:ce|:mse]   linear model (a test model)") \\' \
  "$src/models/registry.c"
changes=$(diff -rq "$tmp/orig" "$src" | sort)
rowdiff=$(diff "$tmp/orig/models/registry.c" "$src/models/registry.c" | grep -c '^[<>]')
want="Files $tmp/orig/models/registry.c and $src/models/registry.c differ
Only in $src/models: linear.c"
[ "$changes" = "$want" ] && [ "$rowdiff" = 1 ] \
  && echo "ok 1 - the change is one new file (models/linear.c) and one added line in models/registry.c" \
  || { echo "not ok 1 - the change is one new file and one table row"; printf '#   %s\n' "$changes"; }

# -O0: the model is tiny; the build is most of this test's time. A make of
# its own, not the suite's: its MAKEFLAGS and its environment may set B, OPT
# and SAN (`make sanitize` passes B=build-sanitize down), so they are given.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make -C "$src" -j2 B=build OPT=-O0 SAN= build/prunebench build/plugins/random.so build/plugins/obd.so >"$tmp/build.log" 2>&1; then
  echo "ok 2 - the copy builds with the new model"
else
  echo "not ok 2 - the copy builds with the new model"; tail -5 "$tmp/build.log" | sed 's/^/#   /'
  for k in 3 4 5 6 7 8 9; do echo "not ok $k - # skipped: no build"; done
  exit 0
fi
pb=$src/build/prunebench
plugins=$src/build/plugins
data=$src/datasets

"$pb" help 2>&1 | grep -q '^    linear:<d>-<C>' \
  && echo "ok 3 - help lists the model from its registry row" || echo "not ok 3 - help lists the model"

if "$pb" train --data wine --model linear:13-3 --epochs 5 --data-dir "$data" -o "$tmp/l.fit" 2>"$tmp/err" \
   && [ -s "$tmp/l.fit" ] && [ ! -s "$tmp/err" ]; then
  echo "ok 4 - train --data wine --model linear:13-3 --epochs 5"
else
  echo "not ok 4 - train on wine"; sed 's/^/#   /' "$tmp/err"
fi

# the order: the 39 weights of W, each once
if "$pb" rank --fit "$tmp/l.fit" --method random --plugin-dir "$plugins" --data-dir "$data" -o "$tmp/o.tsv" 2>"$tmp/err"; then
  idx=$(grep -v '^#' "$tmp/o.tsv" | tail -n +2 | cut -f2 | sort -n | uniq | tr '\n' ' ')
  [ "$idx" = "$(seq -s ' ' 0 38) " ] && echo "ok 5 - rank --method random: a permutation of the 39 weights" \
    || { echo "not ok 5 - rank: a permutation of the 39 weights"; echo "#   $idx"; }
else
  echo "not ok 5 - rank --method random"; sed 's/^/#   /' "$tmp/err"
fi

# P1: accuracy well above chance unpruned, lower with every weight removed
if "$pb" curve --fit "$tmp/l.fit" --order "$tmp/o.tsv" --fractions 0,0.5,1 --data-dir "$data" -o "$tmp/c.tsv" 2>"$tmp/err"; then
  read -r q0 q1 < <(grep -v '^#' "$tmp/c.tsv" | tail -n +2 | awk -F'\t' 'NR==1{a=$4} NR==3{b=$4} END{print a, b}')
  rows=$(grep -v '^#' "$tmp/c.tsv" | tail -n +2 | wc -l)
  awk -v a="$q0" -v b="$q1" -v r="$rows" 'BEGIN{exit !(r == 3 && a > 0.8 && a <= 1 && b < a)}' \
    && echo "ok 6 - curve (P1): 3 rows, accuracy $q0 unpruned, $q1 with every weight removed" \
    || { echo "not ok 6 - curve (P1) looks sane ($rows rows, $q0, $q1)"; }
else
  echo "not ok 6 - curve (P1)"; sed 's/^/#   /' "$tmp/err"
fi

if "$pb" noise --fit "$tmp/l.fit" --order "$tmp/o.tsv" --fractions 0,1 --levels 0,0.5 --draws 5 --data-dir "$data" \
     -o "$tmp/n.tsv" 2>"$tmp/err" && [ "$(grep -v '^#' "$tmp/n.tsv" | tail -n +2 | wc -l)" = 4 ]; then
  echo "ok 7 - noise (P2): 2 fractions x 2 levels"
else
  echo "not ok 7 - noise (P2)"; sed 's/^/#   /' "$tmp/err"
fi

# a service the model does not offer: refused in one line, nothing written
"$pb" rank --fit "$tmp/l.fit" --method obd --plugin-dir "$plugins" --data-dir "$data" -o "$tmp/obd.tsv" 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q 'Hessian' "$tmp/err" && [ ! -e "$tmp/obd.tsv" ] \
  && echo "ok 8 - rank --method obd (its Hessian diagonal needs curvature): one line, exit $rc, nothing written" \
  || { echo "not ok 8 - rank --method obd refused in one line (exit $rc)"; sed 's/^/#   /' "$tmp/err"; }
"$pb" train --data boston --model linear:13-3 --epochs 1 --data-dir "$data" -o "$tmp/b.fit" 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q 'regression' "$tmp/err" && [ ! -e "$tmp/b.fit" ] \
  && echo "ok 9 - a ce model on a regression dataset: refused in one line by the data check" \
  || { echo "not ok 9 - data check refuses boston"; sed 's/^/#   /' "$tmp/err"; }
