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
#
# PB_RUNNER (experiments.mk sets it for RUNNER=slurm: scripts/slurm-run.sh)
# runs the command instead: `$PB_RUNNER TARGET COMMAND...`, with the same exit
# status. PB_COST_LOG (experiments.mk: results/<scale>/cost.log) gets one line
# per finished step, "seconds<TAB>target<TAB>command", its wall time (the
# runner writes it under a runner: the time the command ran, queueing left
# out); scripts/critical-path.sh and scripts/slurm-run.sh read it.
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
t0=$(date +%s.%N)
if [ -n "${PB_RUNNER:-}" ]; then
    "$PB_RUNNER" "$target" "$@"
else
    "$@"
fi
rc=$?
if [ "$rc" -eq 0 ] && [ -z "${PB_RUNNER:-}" ] && [ -n "${PB_COST_LOG:-}" ]; then
    mkdir -p "$(dirname "$PB_COST_LOG")" &&
        T1=$(date +%s.%N) T0=$t0 TARGET=$target CMD="$*" \
            awk 'BEGIN { printf "%.2f\t%s\t%s\n", ENVIRON["T1"] - ENVIRON["T0"], ENVIRON["TARGET"], ENVIRON["CMD"] }' >> "$PB_COST_LOG" || true
fi
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
