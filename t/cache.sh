#!/usr/bin/env bash
# t/cache.sh -- the experiment cache remakes exactly what changed (TAP).
#
# Copies the tracked tree (and the built $PB_BUILD, timestamps kept) into a
# temporary git repository, makes a tiny experiment set there (wine, one
# repeat, 3 epochs, every plugin), then after each kind of edit asks
# `make -n` / `make -q` which cells would be remade.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
B=${PB_BUILD:-build}
git -C "$src" rev-parse --git-dir > /dev/null 2>&1 || { echo "1..0 # SKIP not a git checkout"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-cache.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset MAKEFLAGS MFLAGS MAKELEVEL

n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
# The commands that make a cell (fit, order, curve, noise), one per line.
cells_remade() { grep -E "/prunebench (train|rank|curve|noise) " || true; }
# a tiny experiment set
vars=(SCALE=quick DATASETS=wine REPEATS=1 wine_EPOCHS=3 IMAGE_EXPS= SEQ_EXPS= PAIR_EXPS= FRACTIONS=0,0.5,1
      NOISE_FRACTIONS=0,0.5,1 NOISE_LEVELS=0,1 NOISE_DRAWS=2 B="$B" OPT="${PB_OPT--O2 -g}" SAN="${PB_SAN-}")
mk() { make -s -C "$tmp" "${vars[@]}" "$@"; }
dry() { mk -n cells "$@" 2>&1 | cells_remade; }
commit() { git -C "$tmp" -c user.name=t -c user.email=t@t commit -qam "$1"; }

echo "1..17"
(cd "$src" && git ls-files -z | xargs -0 cp --parents --preserve=timestamps -t "$tmp")
[ -d "$src/$B" ] && cp -a "$src/$B" "$tmp/$B"
git -C "$tmp" init -q && git -C "$tmp" add -A && commit base
mk cells > "$tmp/first.log" 2>&1; st=$?
[ "$st" = 0 ] || sed 's/^/# /' "$tmp/first.log" | tail -n 15
ok "$st" "the tiny experiment set is made"

# (a) nothing changed: nothing to do, not even relinking
mk -q cells
ok $? "(a) nothing changed: make -q says up to date"

# (b) README.md edited: the version turns -dirty, the binary relinks, no cell
echo "an edit" >> "$tmp/README.md"
out=$(dry)
[ -z "$out" ]; ok $? "(b) README.md edited: no fit, order, curve or noise cell${out:+: $out}"
git -C "$tmp" checkout -q README.md

# (c) the report edited
echo "% an edit" >> "$tmp/report/report.tex"
out=$(dry)
[ -z "$out" ]; ok $? "(c) report/report.tex edited: no cell${out:+: $out}"
git -C "$tmp" checkout -q report/report.tex

# (d) a new plugin: only its cells (they are made here, for real)
sed 's/"random"/"random2"/' "$tmp/plugins/random.c" > "$tmp/plugins/random2.c"
out=$(dry)
echo "# new plugin remakes:"; sed 's/^/#   /' <<< "$out"
[ -n "$out" ] && ! grep -v random2 <<< "$out" >/dev/null
ok $? "(d) a new plugin: only its own cells (order, curve, curvec, noise)"
mk cells > /dev/null 2>&1 && mk -q cells
ok $? "(d) ... which are then made, and nothing is left to do"

# (e) one method's options: only that method's cells
out=$(dry obd_OPTIONS=hessian=exact)
echo "# obd_OPTIONS=hessian=exact remakes:"; sed 's/^/#   /' <<< "$out"
[ -n "$out" ] && ! grep -v 'order/obd-\|obd-r0.tsv' <<< "$out" >/dev/null
ok $? "(e) obd_OPTIONS changed: only obd's cells"

# (j) the fine-tuning epochs: only the fine-tuned curves (curvef/), every one of them
out=$(dry FT_EPOCHS=2)
echo "# FT_EPOCHS=2 remakes $(wc -l <<< "$out") cells"
[ -n "$out" ] && ! grep -v 'curvef/.* curve .*--finetune 2 ' <<< "$out" >/dev/null && grep -q 'curvef/svd-r0' <<< "$out"
ok $? "(j) FT_EPOCHS changed: only the fine-tuned curves"
# ... and one deleted is remade alone
rm -f "$tmp/results/quick/wine/curvef/obd-r0.tsv"
out=$(dry)
[ "$(wc -l <<< "$out")" = 1 ] && grep -q 'curvef/obd-r0.tsv' <<< "$out" && mk cells > /dev/null 2>&1 && mk -q cells
ok $? "(j) a fine-tuned curve deleted: only it is remade${out:+: $out}"

# (f) a real change to the training code remakes the fits (and what uses them)
printf '\nint pb_train_cache_probe(void);\nint pb_train_cache_probe(void) { return 1; }\n' >> "$tmp/train/driver.c"
out=$(dry)
echo "# train/driver.c changed remakes $(wc -l <<< "$out") cells, among them:"; grep ' train ' <<< "$out" | sed 's/^/#   /'
grep -q 'train --data wine .*fit/base-r0.fit' <<< "$out" && grep -q 'train --data wine .*--method svd' <<< "$out"
ok $? "(f) train/driver.c changed: the fits are remade"
git -C "$tmp" checkout -q train/driver.c

# (f') ... and asking did not dirty the cache: undone, nothing to remake
out=$(dry)
[ -z "$out" ]; ok $? "(f) undone after make -n: no cell${out:+: $out}"

# (k) code that only some cells run (Makefile: SPECIFIC_KINDS) remakes only those:
# the hypernetworks' code, P5's hypernetwork cells and what uses them, no
# direct P5 fit and no Wine cell; the LSA vectors' code, nothing here
printf '\nint pb_hyper_cache_probe(void);\nint pb_hyper_cache_probe(void) { return 1; }\n' >> "$tmp/train/hyper.c"
out=$(mk -n cells 2>&1 | grep -E '/prunebench [a-z-]+ ' || true)
echo "# train/hyper.c changed remakes $(wc -l <<< "$out") cells"
grep -q 'hyper-train ' <<< "$out" && grep -q 'hyper-gen ' <<< "$out" && ! grep -q -- '--data wine\|direct1\?-l' <<< "$out"
ok $? "(k) train/hyper.c changed: the hypernetworks and their generated fits, no direct fit, no Wine cell"
git -C "$tmp" checkout -q train/hyper.c
printf '\nint pb_memo_cache_probe(void);\nint pb_memo_cache_probe(void) { return 1; }\n' >> "$tmp/datasets/memo.c"
out=$(mk -n cells 2>&1 | grep -E '/prunebench [a-z-]+ ' || true)
[ -z "$out" ]; ok $? "(k) datasets/memo.c changed: no cell without a *-lsa set${out:+: $out}"
git -C "$tmp" checkout -q datasets/memo.c

# (h) a change to protocol code (P1) remakes the curves only: no fit, no order
printf '\nint pb_p1_cache_probe(void);\nint pb_p1_cache_probe(void) { return 1; }\n' >> "$tmp/protocols/p1.c"
out=$(dry)
echo "# protocols/p1.c changed remakes $(wc -l <<< "$out") cells"
[ -n "$out" ] && ! grep -v ' curve \| noise ' <<< "$out" >/dev/null
ok $? "(h) protocols/p1.c changed: curves and noise runs only, no fit or order"
git -C "$tmp" checkout -q protocols/p1.c

# (g) a commit: a new version, the binary relinks, no cell is remade
git -C "$tmp" add plugins/random2.c && commit "a commit"
out=$(dry)
before=$(cd "$tmp" && find results -name '*.tsv' -o -name '*.fit' | sort | xargs ls -l --time-style=+%s.%N)
mk cells > /dev/null 2>&1
after=$(cd "$tmp" && find results -name '*.tsv' -o -name '*.fit' | sort | xargs ls -l --time-style=+%s.%N)
[ -z "$out" ] && [ "$before" = "$after" ] && mk -q cells
ok $? "(g) a commit: the binary is relinked, no cell remade${out:+: $out}"

# (i) a summary's side files are targets: one deleted is remade (with its summary)
mk results/quick/wine/p1-summary.tsv results/quick/wine/p1c-summary.tsv > /dev/null 2>&1
rm -f "$tmp/results/quick/wine/p1-table.tex" "$tmp/results/quick/wine/p1c-macros.tex"
mk results/quick/wine/p1-table.tex results/quick/wine/p1c-macros.tex > /dev/null 2>&1
[ -s "$tmp/results/quick/wine/p1-table.tex" ] && [ -s "$tmp/results/quick/wine/p1c-macros.tex" ]
ok $? "(i) p1-table.tex and p1c-macros.tex deleted: make remakes them"
# ... and one older than its summary's inputs (a kill between two writes) is
# out of date (the report's copy step asks for every side file)
touch -d '2000-01-01' "$tmp/results/quick/wine/p1-macros.tex"
mk -q results/quick/wine/p1-macros.tex
[ $? = 1 ] && mk -n report/gen/wine/stamp 2>&1 | grep -q "summarize .*--tsv results/quick/wine/p1-summary.tsv"
ok $? "(i) p1-macros.tex stale: the report's step remakes its summary"

exit $failed
