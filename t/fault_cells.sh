#!/usr/bin/env bash
# t/fault_cells.sh -- faulty plugins installed among the methods: `make -k`
# runs every other method's cells, and each faulty one gives one line (TAP).
#
# In a copy of the tracked tree (and the built $PB_BUILD), three plugins
# from t/fault_plugin.c.in are added as methods (plugins/fault_*.c): one
# whose relevance hook segfaults, one whose relevance hook calls exit(0),
# one that trains its own network and whose KL hook segfaults after 30
# good calls (a hook that loops is t/plugin_faults.c's: a time limit short
# enough for a test would also stop belsley on a loaded machine). A tiny experiment set (wine, one repeat,
# 40 epochs) is made with make -k: make fails, each faulty cell's stderr is
# the one line naming plugin, hook and what happened, and the orders,
# curves and noise files of every other method are all made.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
B=${PB_BUILD:-build}
git -C "$src" rev-parse --git-dir > /dev/null 2>&1 || { echo "1..0 # SKIP not a git checkout"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-faultcells.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
unset MAKEFLAGS MFLAGS MAKELEVEL

n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
vars=(SCALE=quick DATASETS=wine REPEATS=1 wine_EPOCHS=40 IMAGE_EXPS= SEQ_EXPS= PAIR_EXPS= P5_EXPS=
      FRACTIONS=0,0.5,1 NOISE_FRACTIONS=0,0.5,1 NOISE_LEVELS=0,1 NOISE_DRAWS=2 B="$B" OPT="${PB_OPT--O2 -g}"
      SAN="${PB_SAN-}")

echo "1..6"
d=$tmp/tree
mkdir -p "$d"
(cd "$src" && git ls-files -z | xargs -0 cp --parents --preserve=timestamps -t "$d")
[ -d "$src/$B" ] && cp -a "$src/$B" "$d/$B"
methods=$(cd "$d/plugins" && ls *.c | sed 's/\.c$//')
for f in segv exit0 late_segv; do
    { echo "#define NAME fault_$f"; echo "#define FAULT_$(echo "$f" | tr a-z A-Z)"; cat "$d/t/fault_plugin.c.in"; } \
        > "$d/plugins/fault_$f.c"
done
make -k -C "$d" "${vars[@]}" cells > "$tmp/log" 2>&1
st=$?
[ "$st" != 0 ] && grep -q "Target 'cells' not remade because of errors" "$tmp/log"
ok $? "make -k with three faulty methods: make fails (status $st) after running what it can"

# each faulty cell: its line, right after the step's own line
# (under sanitizers their report comes first: then the line is looked for
# among the step's output, up to the words of what happened)
line_after() {  # $1 the cell, $2 the expected line
    awk -v cell="$1" -v want="$2" -v san="${PB_SAN-}" '
        f && !san { print ($0 == want) ? "yes" : "no"; exit }
        f && san && /^  prunebench / { exit }
        f && san { split(want, w, ": "); if (index($0, w[1] ": " w[2] ": " w[3] ": ") == 1) { print "yes"; exit } }
        $1 == "prunebench" && $3 ~ cell { f = 1 }' "$tmp/log" | grep -q '^yes'
}
line_after 'order/fault_segv-r0' "prunebench: plugin 'fault_segv': relevance: killed by SIGSEGV"
ok $? "a segfaulting relevance hook: one line naming plugin, hook and signal"
line_after 'order/fault_exit0-r0' "prunebench: plugin 'fault_exit0': relevance: exited with status 0 without returning"
ok $? "a relevance hook calling exit(0): one line, not a success"
line_after 'fit/fault_late_segv-r0' "prunebench: plugin 'fault_late_segv': kl: killed by SIGSEGV"
ok $? "a KL hook segfaulting late in its training: one line naming plugin and hook"

missing=
for m in $methods; do
    for k in order curve noise; do
        [ -s "$d/results/quick/wine/$k/$m-r0.tsv" ] || missing="$missing $k/$m"
    done
done
[ -z "$missing" ] && [ -n "$methods" ]
ok $? "every other method ($(echo $methods)): order, curve and noise made${missing:+; missing:$missing}"
made=$(find "$d/results/quick/wine" -name 'fault_*' -type f | sed "s|$d/||")
[ -z "$made" ]
ok $? "no result file of a faulty method${made:+: $made}"
[ "$failed" = 0 ] || { echo "# the make log:"; sed 's/^/# /' "$tmp/log" | tail -n 60; }
exit $failed
