#!/usr/bin/env bash
# cell.sh TARGET COMMAND... -- run one step of the experiment pipeline.
# Prints the command (V=1) or one short line naming the target, runs it, and
# then the run's progress: steps done of the steps this run has to do, time
# since it started, and an estimate of what is left (time so far per step,
# times the steps left: steps differ in cost, a LeNet training and a curve
# count the same, so the estimate is rough). `make reproduce` sets
# PB_PROGRESS_TOTAL (the steps a dry run lists), PB_PROGRESS_T0 (its start,
# seconds) and PB_PROGRESS_LOG (a file each finished step appends its target
# to); without them only the command's own line is printed.
set -u
target=$1
shift
if [ -n "${V:-}" ]; then
    printf '%s\n' "$*" >&2
else
    prog=${1##*/}
    [ "$prog" = prunebench ] && prog="$prog ${2:-}"
    printf '  %-22s %s\n' "$prog" "$target" >&2
fi
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then
    printf 'prunebench pipeline: %s failed (exit %d); its command: %s\n' "$target" "$rc" "$*" >&2
    exit "$rc"
fi
log=${PB_PROGRESS_LOG:-}
[ -n "$log" ] || exit 0
printf '%s\n' "$target" >> "$log"
k=$(wc -l < "$log")
n=${PB_PROGRESS_TOTAL:-0}
now=$(date +%s)
t=$((now - ${PB_PROGRESS_T0:-$now}))
hms() { local s=$1; if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60));
        elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
if [ "$n" -gt 0 ]; then
    left=""
    [ "$k" -lt "$n" ] && left=", about $(hms $((t * (n - k) / k))) left"
    printf '[%d/%d steps, %s%s]\n' "$k" "$n" "$(hms "$t")" "$left" >&2
else
    printf '[%d steps, %s]\n' "$k" "$(hms "$t")" >&2
fi
