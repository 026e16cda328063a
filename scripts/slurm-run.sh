#!/usr/bin/env bash
# slurm-run.sh TARGET COMMAND... -- run one cell of the pipeline as a Slurm
# job step (scripts/cell.sh calls it for RUNNER=slurm: PB_RUNNER; README,
# "Running on a cluster"). Make keeps the order and the cache as in a local
# run; the command runs where srun puts it, in the same directory (a shared
# filesystem), and writes the same files (temporary name, then rename).
#
# Which cells: every prunebench command. gnuplot and scripts/* run here, on
# the host that runs make (a second or less each; no need for them on the
# compute nodes).
#
# Resources, by cell: one task, one core (a cell runs one thread), memory
# SLURM_MEM (default 4G), a time limit in minutes of
#   2 x the cell's last measured wall time + 5      (PB_COST_LOG, cell.sh)
#   else 2 x the longest measured cell of its kind + 5 (the same path but
#        the repeat: results/full/wine/fit/base-r*.fit)
#   else SLURM_TIME_TRAIN (train, hyper-train; default 120) or SLURM_TIME
#        (default 30),
# at most SLURM_MAX_TIME (default 720). A training longer than its limit is
# no failure: it pauses and resumes (below), one job per segment.
#
# Preemption and failures:
#   - trainings get --signal=TERM@SLURM_SIGNAL_SECONDS (default 300): before
#     the time limit (or when the job is preempted or scancel --signal=TERM'd)
#     they write their checkpoint and exit 75; the cell is submitted again and
#     resumes from it, at most SLURM_MAX_RESUMES times (default 100);
#   - a step that ends without its command's exit status, or with the
#     command killed by a signal (its node failed, the job was cancelled,
#     preempted or killed at its limit) is submitted again, at most
#     SLURM_RETRIES times (default 3); a training resumes from its last
#     checkpoint (or starts over: the same fit either way);
#   - a command that fails by itself fails the cell (its exit status), with
#     its log's path and last lines; make stops starting cells (make -k goes
#     on with the others), and every finished cell's files stay.
# Logs, on the shared filesystem: SLURM_LOG_DIR (default results/slurm-logs)
# /<target without results/, / as _>.log (the command's stderr, every
# attempt) and .rc (the last attempt's exit status, seconds, Slurm job id).
# Options: SLURM_PARTITION, SLURM_ACCOUNT, SRUN_FLAGS (more srun options,
# split at spaces), SRUN (the srun program; the test gives its path).
# Inside an allocation (salloc, sbatch: SLURM_JOB_ID set) the cells are
# steps of it (--exact: side by side on its cores; no partition, account).
#
# slurm-run.sh --step RCFILE LOG COMMAND... is the part that runs on the
# node: the command with its stderr appended to LOG, its exit status,
# seconds and job id written to RCFILE.
set -u

if [ "${1:-}" = --step ]; then
    rcfile=$2 log=$3
    shift 3
    t0=$(date +%s.%N)
    # Slurm signals every process of the step: this shell stays to write
    # the exit status, the command gets the signal (a training checkpoints)
    trap '' TERM INT
    ( trap - TERM INT; exec "$@" 2>> "$log" )
    rc=$?
    T0=$t0 T1=$(date +%s.%N) RC=$rc \
        awk 'BEGIN { printf "%d\t%.2f\t%s\n", ENVIRON["RC"], ENVIRON["T1"] - ENVIRON["T0"], ENVIRON["SLURM_JOB_ID"] }' \
        > "$rcfile.tmp" && mv -f "$rcfile.tmp" "$rcfile"
    exit "$rc"
fi

target=$1
shift
costlog=${PB_COST_LOG:-}
cost() { [ -z "$costlog" ] || printf '%s\t%s\t%s\n' "$1" "$target" "${*:2}" >> "$costlog" || true; }
# not a prunebench command: here
if [ "${1##*/}" != prunebench ]; then
    t0=$(date +%s.%N)
    "$@" || exit
    cost "$(T0=$t0 T1=$(date +%s.%N) awk 'BEGIN { printf "%.2f", ENVIRON["T1"] - ENVIRON["T0"] }')" "$@"
    exit 0
fi
sub=${2:-}
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
die() { printf 'slurm-run: %s\n' "$*" >&2; exit 1; }

logdir=${SLURM_LOG_DIR:-results/slurm-logs}
name=${target#results/}
name=${name//\//_}
log=$logdir/$name.log
rcfile=$logdir/$name.rc
mkdir -p "$logdir" || die "cannot make $logdir"
: > "$log"

# ---- the time limit (minutes) ----
training=0
case "$sub" in train | hyper-train) training=1 ;; esac
measured=""
if [ -n "$costlog" ] && [ -s "$costlog" ]; then
    # this cell's last measurement, else the longest of its kind (its path with any -r<k> repeat)
    measured=$(awk -F'\t' -v t="$target" '
        function kind(p) { sub(/-r[0-9]+\./, "-r*.", p); return p }
        BEGIN { k = kind(t) }
        $2 == t { own = $1 }
        kind($2) == k && $1 > most { most = $1 }
        END { if (own != "") print own; else if (most != "") print most }' "$costlog")
fi
if [ -n "$measured" ]; then
    minutes=$(awk -v s="$measured" 'BEGIN { m = int(2 * s / 60 + 0.999) + 5; print m }')
elif [ "$training" = 1 ]; then
    minutes=${SLURM_TIME_TRAIN:-120}
else
    minutes=${SLURM_TIME:-30}
fi
max=${SLURM_MAX_TIME:-720}
[ "$minutes" -le "$max" ] || minutes=$max

# ---- srun's options ----
# (srun reads SLURM_PARTITION and SLURM_ACCOUNT itself too: given as options
# instead, and not at all when empty)
partition=${SLURM_PARTITION:-} account=${SLURM_ACCOUNT:-}
unset SLURM_PARTITION SLURM_ACCOUNT
opts=(--quiet --job-name="pb:$name" --ntasks=1 --cpus-per-task=1 --mem="${SLURM_MEM:-4G}" --time="$minutes")
[ "$training" = 1 ] && opts+=(--signal="TERM@${SLURM_SIGNAL_SECONDS:-300}")
if [ -n "${SLURM_JOB_ID:-}" ]; then
    opts+=(--exact)
else
    [ -n "$partition" ] && opts+=(--partition="$partition")
    [ -n "$account" ] && opts+=(--account="$account")
fi
# shellcheck disable=SC2206  # split at spaces on purpose
[ -n "${SRUN_FLAGS:-}" ] && opts+=(${SRUN_FLAGS})
srun=${SRUN:-srun}

# ---- run, resume, retry ----
# make's Ctrl-C or SIGTERM: passed to the step through srun (a training
# writes its checkpoint), then this cell fails
srun_pid=""
stop() { [ -n "$srun_pid" ] && kill -TERM "$srun_pid" 2> /dev/null && wait "$srun_pid"; exit 130; }
trap stop INT TERM
resumes=0 retries=0 seconds=0
while :; do
    rm -f "$rcfile"
    "$srun" "${opts[@]}" "$self" --step "$rcfile" "$log" "$@" &
    srun_pid=$!
    wait "$srun_pid"
    src=$?
    srun_pid=""
    # (a shared filesystem may show the step's file a moment late)
    for _ in 1 2 3 4 5; do [ -e "$rcfile" ] || [ "$src" = 0 ] || sleep 1; done
    rc="" sec=0
    [ -e "$rcfile" ] && read -r rc sec _ < "$rcfile"
    seconds=$(awk -v a="$seconds" -v b="${sec:-0}" 'BEGIN { printf "%.2f", a + b }')
    if [ "$src" = 0 ] && { [ -z "$rc" ] || [ "$rc" = 0 ]; }; then
        break
    elif [ "$rc" = 75 ]; then
        resumes=$((resumes + 1))
        [ "$resumes" -le "${SLURM_MAX_RESUMES:-100}" ] ||
            die "$target: paused $resumes times (exit 75), more than SLURM_MAX_RESUMES; log: $log"
        printf 'slurm-run: %s paused (exit 75: checkpoint written), submitted again to resume (%d)\n' "$target" "$resumes" >&2
    elif [ -n "$rc" ] && [ "$rc" -lt 128 ]; then
        printf 'slurm-run: %s failed (exit %s) in its Slurm step; log: %s\n' "$target" "$rc" "$log" >&2
        tail -n 20 "$log" | sed 's/^/  | /' >&2
        exit "$rc"
    else
        retries=$((retries + 1))
        [ "$retries" -le "${SLURM_RETRIES:-3}" ] ||
            die "$target: its step was ended $retries times (${rc:+command killed by signal $((rc - 128)), }srun exit $src: node failure, cancelled, killed); log: $log"
        printf 'slurm-run: %s: its step was ended (%ssrun exit %d), submitted again (retry %d)\n' \
            "$target" "${rc:+command killed by signal $((rc - 128)), }" "$src" "$retries" >&2
    fi
done
cost "$seconds" "$@"
exit 0
