#!/usr/bin/env bash
# t/critical_path.sh -- scripts/critical-path.sh on a small cell graph whose
# critical path and schedules are known by hand (TAP).
#
#   a (10 s) -> c (5 s) -> e (1 s)       e needs c and d
#   b (2 s)  -> d (20 s) ---^            d needs b
#   f (30 s)                             alone
# work 68 s; the chain b, d, e is 23 s, f alone 30 s: the
# critical path is f (30 s). With 2 workers in Make's order (a b c d e f):
# t=0 a, b; t=2 b done: d starts; t=10 a done: c; t=15 c done: f (e waits
# for d); t=22 d done: e; t=23 e done; t=45 f done. 1 worker: 68 s.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-cp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
echo "1..5"
# the marker lines make -n prints with CELL replaced: $@ $^ :: TARGET COMMAND
{
    echo "PBCELL r/a code.sha :: r/a build/prunebench train --data x -o r/a"
    echo "PBCELL r/b :: r/b build/prunebench train --data y -o r/b"
    echo "PBCELL r/c r/a stamp.txt :: r/c build/prunebench rank --fit r/a -o r/c"
    echo "PBCELL r/d r/b :: r/d build/prunebench curve --fit r/b -o r/d"
    echo "compile lines and copies are no cells"
    echo "PBCELL r/e r/c r/d :: r/e build/prunebench summarize r/c r/d"
    echo "PBCELL r/f :: r/f gnuplot -e x"
} > "$tmp/graph"
printf '%s\t%s\t-\n' 10 r/a 2 r/b 5 r/c 20 r/d 1 r/e 30 r/f > "$tmp/cost.log"
out=$(GRAPH=$tmp/graph COST_LOG=$tmp/cost.log ESTIMATE=0 "$src/scripts/critical-path.sh" 1 2 3 2>&1)
echo "$out" | sed 's/^/# /'
grep -q '6 cells (6 measured' <<< "$out"
ok $? "six cells, all measured (the lines that are no cell left out)"
grep -q 'work: 1m08s' <<< "$out"
ok $? "work 68 s"
grep -q 'critical path: 0m30s, 1 cells' <<< "$out"
ok $? "critical path: f alone, 30 s"
grep -Eq '^ +1 +1m08s' <<< "$out" && grep -Eq '^ +2 +0m45s +0m34s +the work' <<< "$out"
ok $? "1 worker 68 s; 2 workers in Make's order 45 s (lower bound 34 s)"
# without f the chain b, d, e (23 s) is the critical path
grep -v r/f "$tmp/graph" > "$tmp/graph2"
out=$(GRAPH=$tmp/graph2 COST_LOG=$tmp/cost.log ESTIMATE=0 "$src/scripts/critical-path.sh" 8 2>&1)
grep -q 'critical path: 0m23s, 3 cells' <<< "$out" && grep -A3 'critical path' <<< "$out" | grep -c 'r/[bde] (measured)' | grep -qx 3 &&
    grep -Eq '^ +8 +0m23s .*critical path' <<< "$out"
ok $? "without f: the chain b, d, e, 23 s, limits 8 workers"
exit $failed
