#!/usr/bin/env bash
# cell.sh TARGET COMMAND... -- run one step of the experiment pipeline.
# Prints the command (V=1) or one short line naming the target, runs it, and
# after a cell prints the pipeline's progress: cells present of all cells of
# this run, time since this make started, and an estimate of what is left
# (time so far per cell made in this run, times the cells still missing:
# cells differ in cost, so the estimate is rough until the run has made
# cells of every kind). Make exports PB_PROGRESS_CELLS (a file listing every
# cell), PB_PROGRESS_T0 (start, seconds) and PB_PROGRESS_K0 (cells present
# at the start).
set -u
target=$1
shift
if [ -n "${V:-}" ]; then
    printf '%s\n' "$*" >&2
else
    printf '  %-10s %s\n' "${1##*/}${2:+ $2}" "$target"  >&2
fi
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then
    printf 'prunebench pipeline: %s failed (exit %d); its command: %s\n' "$target" "$rc" "$*" >&2
    exit "$rc"
fi
list=${PB_PROGRESS_CELLS:-}
[ -n "$list" ] && [ -r "$list" ] && grep -qxF -- "$target" "$list" || exit 0
n=0 k=0
while IFS= read -r f; do
    n=$((n + 1))
    [ -e "$f" ] && k=$((k + 1))
done < "$list"
now=$(date +%s)
t=$((now - ${PB_PROGRESS_T0:-$now}))
hms() { local s=$1; if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60));
        elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
made=$((k - ${PB_PROGRESS_K0:-0}))
left=""
if [ "$made" -gt 0 ] && [ "$k" -lt "$n" ]; then left=", about $(hms $((t * (n - k) / made))) left"; fi
printf '[%d/%d cells, %s%s]\n' "$k" "$n" "$(hms "$t")" "$left" >&2
