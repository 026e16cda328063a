#!/bin/bash
# cost.sh -- what the trainings of `make reproduce` cost on this machine,
# estimated from measured step times: every fit cell of the grid (the
# commands `make -n -B fits` would run, at SCALE=full unless SCALE is set)
# is run with `train --estimate S` (S steps, then 2S, timed, S growing
# until the difference is measurable; nothing is written), and steps x time per step is summed per kind of cell and over
# the grid. With J parallel jobs (JOBS, default 2) the trainings take at
# least max(sum / J, the longest cell). Only training is counted: orders,
# curves, noise runs and the report come on top (minutes at full scale).
#
# Usage: scripts/cost.sh   (run by `make bench`; SCALE, JOBS, ESTIMATE_STEPS)
set -euo pipefail
scale=${SCALE:-full}
jobs=${JOBS:-2}
steps=${ESTIMATE_STEPS:-20}
plan=$(make -s -n -B SCALE="$scale" fits 2>/dev/null | sed -E 's@^scripts/cell\.sh [^ ]+ @@' | grep -E '^[^ ]*prunebench train ' || true)
if [ -z "$plan" ]; then
    echo "cost.sh: no training cells found (make -n -B SCALE=$scale fits)" >&2
    exit 1
fi
n=$(printf '%s\n' "$plan" | wc -l)
echo "training cost of make reproduce SCALE=$scale: $n fit cells, each timed over $steps and $((2 * steps)) steps"
printf '%s\n' "$plan" | while read -r cmd; do
    eval "${cmd% -o *} --estimate $steps -o /dev/null" </dev/null
done | awk -F'\t' -v jobs="$jobs" '
function hms(s) { return sprintf("%dh%02dm", int(s / 3600), int(s % 3600 / 60)) }
{
    kind = $2 " " $3 " " $4 " " $5
    n[kind]++; sec[kind] += $8; per[kind] = $7; total += $8
    if ($8 > longest) { longest = $8; lname = $2 " " $4 " " $5 }
}
END {
    printf "%-70s %5s %10s %10s\n", "kind of cell (data, model, method or family, precision)", "cells", "ms/step", "time"
    for (k in n) printf "%-70s %5d %10.3f %10s\n", k, n[k], 1000 * per[k], hms(sec[k]) | "sort"
    close("sort")
    wall = total / jobs; if (longest > wall) wall = longest
    printf "all trainings: %s of one core; the longest cell %s (%s); at -j%d at least %s\n",
           hms(total), hms(longest), lname, jobs, hms(wall)
}'
