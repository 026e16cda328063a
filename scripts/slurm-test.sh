#!/usr/bin/env bash
# slurm-test.sh -- the experiment grid through a real Slurm (TAP; `make
# check-slurm`, and .ci/run as root).
#
# As root: installs Debian's slurm-wlm and munge if missing, starts a private
# munged, slurmctld and slurmd on localhost (one node: this machine's cores
# and memory, as `slurmd -C` reports them; configuration, state, sockets,
# logs and pid files in a temporary directory, ports of its own), then in
# two copies of the tracked tree (the built $PB_BUILD with it, one commit):
#   1. the quick tabular experiments (CELLS_DATASETS, default wine: fits,
#      orders, curves, noise runs, P3 sweeps and the P1, P2, P3 summaries)
#      made locally in one copy and with RUNNER=slurm -j2 in the other;
#      every result file must be byte-identical, every prunebench cell must
#      have run as a Slurm job;
#   2. a training cell run as make runs it (scripts/cell.sh, RUNNER=slurm),
#      its job sent SIGTERM mid-way (what a preemption or --signal before
#      the time limit does: checkpoint, exit 75), then its next job killed
#      (SIGKILL: a node lost); it must resume, finish, and give the fit of an
#      uninterrupted local run of the same command, byte for byte;
#   3. a cell that fails by itself (a bad model spec) fails at once with its
#      log's path, without being submitted again.
# Stops the daemons it started, by their pid files, whatever happens.
# Without root and without Slurm, or where slurmd cannot start (a container
# without the rights), it says why and skips (TAP "1..0 # SKIP").
# Bounded: every wait has a limit; the whole test takes 2-4 minutes on
# 2 cores. KEEP=1 keeps the temporary directory.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
B=${PB_BUILD:-build}
skip() { echo "1..0 # SKIP $*"; exit 0; }
git -C "$src" rev-parse --git-dir > /dev/null 2>&1 || skip "not a git checkout"
[ -x "$src/$B/prunebench" ] || { echo "slurm-test: build first (make all)" >&2; exit 1; }

# ---- Slurm and munge ----
need=()
for p in slurmctld:slurmctld slurmd:slurmd srun:slurm-client munged:munge; do
    command -v "${p%%:*}" > /dev/null 2>&1 || [ -x "/usr/sbin/${p%%:*}" ] || need+=("${p#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || skip "Slurm is not installed (as root this test installs: apt-get install slurm-wlm munge)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q --no-install-recommends slurm-wlm munge > /dev/null 2>&1 ||
        { apt-get update -q > /dev/null 2>&1 && apt-get install -y -q --no-install-recommends slurm-wlm munge > /dev/null 2>&1; }; } ||
        skip "apt-get install slurm-wlm munge failed"
fi
[ "$(id -u)" = 0 ] || skip "slurmd needs root to start jobs as their user (run as root)"
PATH=$PATH:/usr/sbin

tmp=$(mktemp -d /tmp/pb-slurm.XXXXXX)
chmod 755 "$tmp"
S=$tmp/slurm
mkdir -p "$S/state" "$S/spool" "$S/munge"
chmod 700 "$S/munge"
cleanup() {
    # the daemons this test started, by their pid files
    for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2> /dev/null
    done
    for _ in $(seq 50); do
        alive=0
        for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
            [ -s "$f" ] && kill -0 "$(cat "$f")" 2> /dev/null && alive=1
        done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
        [ -s "$f" ] && kill -KILL "$(cat "$f")" 2> /dev/null
    done
    [ -n "${KEEP:-}" ] && echo "# kept: $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# munge: a key of its own, its own socket
dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$S/munge/munge.key"
munged --force --socket="$S/munge/socket" --key-file="$S/munge/munge.key" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/seed" 2> "$S/munge/start.log" ||
    skip "munged does not start here: $(tail -n 1 "$S/munge/start.log")"

# one node: this machine
node=$(slurmd -C 2> /dev/null | head -n 1 | sed 's/^NodeName=[^ ]* //')
[ -n "$node" ] || skip "slurmd -C does not describe this machine"
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<< "$node")
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<< "$node")
port=$((20000 + $$ % 20000))
cat > "$S/slurm.conf" << EOF
# a one-node cluster on localhost for scripts/slurm-test.sh
ClusterName=pbtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
KillWait=10
InactiveLimit=0
MinJobAge=30
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=pbnode NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=pbtest Nodes=pbnode Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$S/slurm.conf
slurmctld -f "$SLURM_CONF" 2> "$S/slurmctld.start" || skip "slurmctld does not start here: $(tail -n 1 "$S/slurmctld.start")"
slurmd -f "$SLURM_CONF" -N pbnode 2> "$S/slurmd.start" || skip "slurmd does not start here: $(tail -n 1 "$S/slurmd.start")"
up=0
for _ in $(seq 60); do
    st=$(sinfo -h -n pbnode -o %t 2> /dev/null)
    case "$st" in idle*|mix*|alloc*) up=1; break ;; esac
    sleep 0.5
done
[ "$up" = 1 ] || skip "slurmd did not come up (node state '${st:-?}'): $(tail -n 2 "$S/slurmd.log" 2> /dev/null | tr '\n' ' ')"
probe=$(timeout 60 srun --quiet -N1 -n1 -t 1 echo ok 2>&1)
[ "$probe" = ok ] || skip "srun cannot start a job here: $probe"
echo "# one-node Slurm on localhost: $cpus cores, $mem MB, port $port ($(srun --version))"

# ---- two copies of the tree: a (local), b (Slurm) ----
unset MAKEFLAGS MFLAGS MAKELEVEL
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi; }
copy() {
    mkdir -p "$1"
    (cd "$src" && git ls-files -z | xargs -0 cp --parents --preserve=timestamps -t "$1")
    cp -a "$src/$B" "$1/$B"
    # (the same commit in both copies: the version every result file records)
    git -C "$1" init -q && git -C "$1" add -A &&
        GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
        git -C "$1" -c user.name=t -c user.email=t@t commit -qm base
}
copy "$tmp/a"
copy "$tmp/b"
datasets=${CELLS_DATASETS:-wine}
vars=(SCALE=quick "DATASETS=$datasets" IMAGE_EXPS= SEQ_EXPS= PAIR_EXPS= P5_EXPS= B="$B" OPT="${PB_OPT--O2 -g}" SAN="${PB_SAN-}")
R=results/quick
goals=(cells)
for d in $datasets; do goals+=("$R/$d/p1-summary.tsv" "$R/$d/p1c-summary.tsv" "$R/$d/p2-slices.tsv" "$R/$d/p3-summary.tsv"); done

echo "1..7"
t0=$(date +%s)
timeout 900 make -C "$tmp/a" "${vars[@]}" "${goals[@]}" > "$tmp/a.log" 2>&1
st=$?
[ "$st" = 0 ] || tail -n 15 "$tmp/a.log" | sed 's/^/# /'
ok "$st" "the quick tabular cells ($datasets) made locally ($(($(date +%s) - t0)) s)"
t0=$(date +%s)
timeout 900 make -C "$tmp/b" -j2 RUNNER=slurm "${vars[@]}" "${goals[@]}" > "$tmp/b.log" 2>&1
st=$?
[ "$st" = 0 ] || tail -n 15 "$tmp/b.log" | sed 's/^/# /'
ok "$st" "the same cells made with RUNNER=slurm -j2 ($(($(date +%s) - t0)) s)"

# every prunebench cell a Slurm job: one .rc file with a job id per cell
cells=$(grep -c '^  prunebench ' "$tmp/a.log")
jobs=$(cat "$tmp/b/results/slurm-logs/"*.rc 2> /dev/null | awk -F'\t' '$1 == 0 && $3 ~ /^[0-9]+$/' | wc -l)
[ "$cells" -gt 20 ] && [ "$jobs" = "$cells" ]
ok $? "all $cells prunebench cells ran as Slurm jobs ($jobs job steps with an id and exit 0)"

# every result file byte-identical (not the logs: cost.log, progress, slurm-logs)
files=$(cd "$tmp/a/$R" && find . -type f ! -path './stamps*' ! -name '*.log' | sort)
diffs=$(while read -r f; do cmp -s "$tmp/a/$R/$f" "$tmp/b/$R/$f" || echo "$f"; done <<< "$files")
extra=$(cd "$tmp/b/$R" && find . -type f ! -path './stamps*' ! -name '*.log' | sort | comm -13 <(echo "$files") -)
count=$(wc -l <<< "$files")
[ -z "$diffs" ] && [ -z "$extra" ] && [ "$count" -gt 20 ]
ok $? "all $count result files byte-identical to the local run's${diffs:+; differ: $(echo $diffs)}${extra:+; only under Slurm: $(echo $extra)}"

# ---- a training stopped twice under Slurm resumes to the same fit ----
# (a wider network than the grid's, 20 s or more on a quiet core, so the kills land mid-way)
fit=results/resume/wine-r0.fit
train=("$B/prunebench" train --data wine --model mlp:13-200-200-3:tanh --repeat 0 --epochs 2400 --family gauss-diag
       --batch 32 --lr 0.01 --init-sd 0.5 --prior-mean eb --noise eb --test-fraction 0.2 -o "$fit")
mkdir -p "$tmp/a/results/resume" "$tmp/b/results/resume"
(cd "$tmp/a" && "${train[@]}" > "$tmp/resume-local.log" 2>&1) &
local_pid=$!
(cd "$tmp/b" && PB_RUNNER=scripts/slurm-run.sh PB_COST_LOG=$R/cost.log timeout 300 scripts/cell.sh "$fit" "${train[@]}") \
    > "$tmp/resume.log" 2>&1 &
cell_pid=$!
# the job id of the cell's running job other than $1 (at most 60 s)
running() {
    local id
    for _ in $(seq 120); do
        id=$(squeue -h -n pb:resume_wine-r0.fit -t R -o %i 2> /dev/null | head -n 1)
        [ -n "$id" ] && [ "$id" != "$1" ] && { echo "$id"; return 0; }
        sleep 0.5
    done
    return 1
}
j1=$(running 0) && sleep 4 && scancel --signal=TERM "$j1"
# (scancel --signal=KILL is a cancel: SIGTERM first. A lost node: the step's
# processes, the training and the shell around it, die at once.)
# The step's processes from Slurm, and (for a proctrack plugin that lists
# none) the training of this cell, found by its working directory; never the
# make-side processes (cell.sh, slurm-run.sh waiting on srun) of $tmp/b.
step_pids() {
    local p
    scontrol listpids "$1" 2> /dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }'
    for p in $(pgrep -x prunebench 2> /dev/null); do
        [ "$(readlink "/proc/$p/cwd")" = "$tmp/b" ] && grep -qF -- "$fit" "/proc/$p/cmdline" && echo "$p"
    done
}
killed=0
j2=$(running "${j1:-0}") && sleep 2 &&
    for p in $(step_pids "$j2" | sort -u); do
        case "$(ps -o comm= -p "$p")" in prunebench | bash | slurm-run.sh) kill -KILL "$p" && killed=$((killed + 1)) ;; esac
    done
echo "# SIGKILL sent to $killed processes of job ${j2:-none}"
wait "$cell_pid"
st=$?
wait "$local_pid"
sed 's/^/# /' "$tmp/resume.log"
grep -q 'paused (exit 75' "$tmp/resume.log" && grep -q 'resuming from' "$tmp/b/results/slurm-logs/resume_wine-r0.fit.log"
ok $? "SIGTERM to the running training job (job ${j1:-none}): checkpoint, exit 75, submitted again, resumed"
[ "$st" = 0 ] && grep -q 'submitted again (retry 1)' "$tmp/resume.log" && [ -s "$tmp/b/$fit" ] &&
    cmp -s "$tmp/a/$fit" "$tmp/b/$fit" && [ ! -e "$tmp/b/$fit.ckpt" ]
ok $? "SIGKILL to the processes of its next job (job ${j2:-none}): submitted again, finished; the fit is byte-identical to an uninterrupted local run's"

# ---- a cell that fails by itself fails at once, with its log ----
mkdir -p "$tmp/b/results/bad"
(cd "$tmp/b" && PB_RUNNER=scripts/slurm-run.sh timeout 120 scripts/cell.sh results/bad/x.fit \
    "$B/prunebench" train --data wine --model mlp:13-13-3:nosuch -o results/bad/x.fit) > "$tmp/bad.log" 2>&1
st=$?
sed 's/^/# /' "$tmp/bad.log"
[ "$st" != 0 ] && [ "$st" -lt 128 ] && grep -q 'failed (exit [0-9]*) in its Slurm step; log: results/slurm-logs/bad_x.fit.log' "$tmp/bad.log" &&
    ! grep -q 'submitted again' "$tmp/bad.log" && [ -s "$tmp/b/results/slurm-logs/bad_x.fit.log" ]
ok $? "a cell that fails by itself (a bad model spec): exit $st, its log's path and lines, not submitted again"
exit $failed
