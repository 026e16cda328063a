#!/usr/bin/env bash
# t/kill.sh -- an interrupted pipeline loses nothing and mixes nothing (TAP).
#
# In two copies of the tracked tree (and the built $PB_BUILD), a tiny
# experiment set (wine, one repeat, every plugin, 400 epochs):
# one made without interruption; the other's `make` killed with
# SIGKILL (the whole process group: make, cell.sh, prunebench) at several
# moments and rerun each time, then finished. Every result file must be
# byte-identical to the uninterrupted run's, and no temporary file
# (*.tmp, *.tmp.<pid>) may be left behind.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
B=${PB_BUILD:-build}
git -C "$src" rev-parse --git-dir > /dev/null 2>&1 || { echo "1..0 # SKIP not a git checkout"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-kill.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
unset MAKEFLAGS MFLAGS MAKELEVEL

n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
# 400 epochs, so that kills land inside trainings too
vars=(SCALE=quick DATASETS=wine REPEATS=1 wine_EPOCHS=400 IMAGE_EXPS= SEQ_EXPS= PAIR_EXPS= P5_EXPS=
      FRACTIONS=0,0.5,1 NOISE_FRACTIONS=0,0.5,1 NOISE_LEVELS=0,1 NOISE_DRAWS=2 B="$B" OPT="${PB_OPT--O2 -g}"
      SAN="${PB_SAN-}")
copy() {
    mkdir -p "$1"
    (cd "$src" && git ls-files -z | xargs -0 cp --parents --preserve=timestamps -t "$1")
    [ -d "$src/$B" ] && cp -a "$src/$B" "$1/$B"
    # (the same commit in both copies: the version every result file records)
    git -C "$1" init -q && git -C "$1" add -A &&
        GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
        git -C "$1" -c user.name=t -c user.email=t@t commit -qm base
}
mk() { local d=$1; shift; make -s -C "$d" "${vars[@]}" "$@" cells > /dev/null 2>&1; }

echo "1..4"
copy "$tmp/a"
copy "$tmp/b"
mk "$tmp/a"; st=$?
ok "$st" "the tiny experiment set is made without interruption"

# kill the second run at several moments, rerun after each kill
kills=0
for delay in 0.7 1.5 2.5 4 6; do
    setsid make -s -C "$tmp/b" "${vars[@]}" cells > /dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    if kill -0 "$pid" 2> /dev/null; then
        kill -KILL -- "-$pid" 2> /dev/null && kills=$((kills + 1))
    fi
    wait "$pid" 2> /dev/null
done
mk "$tmp/b"; st=$?
[ "$st" = 0 ] && [ "$kills" -ge 2 ]
ok $? "killed $kills times with SIGKILL and rerun, the set is finished"

# every result file byte-identical
diffs=$(cd "$tmp/a/results" && find . -type f \( -name '*.fit' -o -name '*.tsv' \) | sort | while read -r f; do
    cmp -s "$tmp/a/results/$f" "$tmp/b/results/$f" || echo "$f"; done)
count=$(cd "$tmp/a/results" && find . -type f \( -name '*.fit' -o -name '*.tsv' \) | wc -l)
[ -z "$diffs" ] && [ "$count" -gt 10 ]
ok $? "all $count fits, orders, curves and noise files byte-identical to the uninterrupted run's${diffs:+: differ: $(echo $diffs)}"

left=$(find "$tmp/b/results" \( -name '*.tmp' -o -name '*.tmp.*' -o -name '*.ckpt' \) | sed "s|$tmp/b/||")
[ -z "$left" ]
ok $? "no temporary file or checkpoint left${left:+: $(echo $left)}"
exit $failed
