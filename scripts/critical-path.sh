#!/usr/bin/env bash
# critical-path.sh -- the cell graph of `make reproduce` on paper: its total
# work, its critical path (the longest chain of cells, each waiting for the
# one before it) and the expected wall time with N workers (`make -jN`, or
# RUNNER=slurm with N cores).
#
# The graph: `make -n -B GOAL` with CELL replaced by a marker that prints
# each cell's target and prerequisites ($@ $^; before a rule family's $(call)
# is expanded, $$@ $$^), so every edge is one Make
# itself follows. Steps that are no cell (copies, pdflatex) count zero.
# A cell's cost, in this order:
#   1. measured: its last wall time in COST_LOG (default
#      results/<scale>/cost.log, written by scripts/cell.sh), else the
#      longest measured cell of its kind (the same path but the repeat -r<k>);
#   2. a training (train) not measured: `train --estimate` (steps x measured
#      time per step, as scripts/cost.sh; one estimate per kind), unless
#      ESTIMATE=0; ESTIMATES=FILE keeps them in FILE and reads them from
#      there next time (only the kinds not in it are estimated);
#   3. a cell not measured at this scale: the same cell's (else its kind's)
#      cost measured at another scale (LIKE_LOG, e.g. results/quick/cost.log;
#      not for train: its epochs differ, see 2.), times FACTOR_<command>
#      (default 1: what grows between the scales, e.g. FACTOR_noise=19.5 for
#      quick to full: 5 x the draws, 2.2 x the levels, 1.8 x the fractions);
#   4. otherwise the default of its command (DEFAULTS below, seconds; say
#      COST_<command>=S to change one, e.g. COST_hyper_train=900).
# Wall time with N workers: whenever a worker is free, the first cell in
# Make's order (the dry run's) whose prerequisites are done starts on it, as
# `make -jN` does; never below max(critical path, work / N).
#
# Usage: scripts/critical-path.sh [N...]   (default 8 64 512; `make
# critical-path` runs it with SCALE and the command line's variables).
# Environment: SCALE (full), GOAL (report/report.pdf), COST_LOG, ESTIMATE,
# ESTIMATE_STEPS (20), LIKE_LOG, FACTOR_<command>, COST_<command>, VERBOSE=1
# (every cell, its cost and where the cost comes from).
set -euo pipefail
scale=${SCALE:-full}
goal=${GOAL:-report/report.pdf}
costlog=${COST_LOG:-results/$scale/cost.log}
workers=("$@")
[ "${#workers[@]}" -gt 0 ] || workers=(8 64 512)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-cp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- the graph: "target<TAB>prerequisites<TAB>command" in Make's order ----
# (GRAPH=FILE: that graph instead, for the test t/critical_path.sh)
if [ -n "${GRAPH:-}" ]; then cat "$GRAPH"; else
    make -s -n -B SCALE="$scale" 'CELL=PBCELL $(if $@,$@ $^,$$@ $$^) ::' "$goal" 2> "$tmp/make.err"; fi |
    awk '$1 == "PBCELL" {
        for (i = 2; i <= NF && $i != "::"; i++) ;
        alias = $2; target = $(i + 1); deps = ""
        for (j = 3; j < i; j++) deps = deps " " $j
        cmd = ""; for (j = i + 2; j <= NF; j++) cmd = cmd (cmd == "" ? "" : " ") $j
        printf "%s\t%s\t%s\t%s\n", target, alias, substr(deps, 2), cmd
    }' > "$tmp/graph.tsv" || true
if [ ! -s "$tmp/graph.tsv" ]; then
    echo "critical-path.sh: no cells in make -n -B SCALE=$scale $goal" >&2
    sed 's/^/  /' "$tmp/make.err" | tail -n 5 >&2
    exit 1
fi

# ---- estimates for the trainings nobody measured ----
# (one per kind: the target with its repeat as -r*)
: > "$tmp/estimates.tsv"
[ -z "${ESTIMATES:-}" ] || { [ -f "$ESTIMATES" ] && cp "$ESTIMATES" "$tmp/estimates.tsv"; }
if [ "${ESTIMATE:-1}" != 0 ]; then
    awk -F'\t' -v clog="$costlog" -v est="$tmp/estimates.tsv" '
        function kind(p) { sub(/-r[0-9]+\./, "-r*.", p); return p }
        BEGIN { while ((getline l < clog) > 0) { split(l, f, "\t"); done[kind(f[2])] = 1 }
                while ((getline l < est) > 0) { split(l, f, "\t"); done[f[1]] = 1 } }
        $4 ~ /prunebench train / && !(kind($1) in done) && !(kind($1) in seen) { seen[kind($1)] = 1; print kind($1) "\t" $4 }' \
        "$tmp/graph.tsv" > "$tmp/to-estimate.tsv"
    k=$(wc -l < "$tmp/to-estimate.tsv")
    [ "$k" = 0 ] || echo "estimating $k kinds of training (train --estimate ${ESTIMATE_STEPS:-20}; ESTIMATE=0 skips) ..." >&2
    while IFS=$'\t' read -r kind cmd; do
        out=$(eval "${cmd% -o *} --estimate ${ESTIMATE_STEPS:-20} -o /dev/null" < /dev/null 2> /dev/null |
              awk -F'\t' '$1 == "estimate" { print $8 }' || true)
        [ -n "$out" ] || { echo "  no estimate for $kind" >&2; continue; }
        printf '%s\t%s\n' "$kind" "$out" >> "$tmp/estimates.tsv"
        [ -z "${ESTIMATES:-}" ] || printf '%s\t%s\n' "$kind" "$out" >> "$ESTIMATES"
    done < "$tmp/to-estimate.tsv"
fi

# ---- costs, critical path, schedules ----
[ -f "$costlog" ] || costlog=/dev/null
like=${LIKE_LOG:-/dev/null}
likescale=""
[ -z "${LIKE_LOG:-}" ] || likescale=$(basename "$(dirname "$like")")
awk -F'\t' -v workers="${workers[*]}" -v verbose="${VERBOSE:-}" -v scale="$scale" -v goal="$goal" -v likescale="$likescale" \
    -v defaults="${DEFAULTS:-train=60 rank=2 curve=2 noise=20 sweep=30 evaluate=5 export=5 structure=30 summarize=1 noise-summary=1 sweep-summary=1 tidy=5 findings=1 provenance=1 hyper-gen=1 hyper-train=600 baselines=60 gnuplot=1 script=1}" '
function kind(p) { sub(/-r[0-9]+\./, "-r*.", p); return p }
function hms(s) { s = int(s + 0.5); return s >= 3600 ? sprintf("%dh%02dm", s / 3600, s % 3600 / 60) : sprintf("%dm%02ds", s / 60, s % 60) }
# the command a cell runs: a prunebench subcommand, gnuplot, or a script
function command_of(c,   w) { split(c, w, " "); if (w[1] ~ /prunebench$/) return w[2]; if (w[1] == "gnuplot") return "gnuplot"; return "script" }
FILENAME == ARGV[1] { measured[$2] = $1; k = kind($2); if ($1 > kmeasured[k]) kmeasured[k] = $1; next }
FILENAME == ARGV[2] { estimated[$1] = $2; next }
FILENAME == ARGV[3] {
    t = $2; sub("^results/" likescale "/", "results/" scale "/", t)
    likem[t] = $1; k = kind(t); if ($1 > likek[k]) likek[k] = $1; next
}
{
    n++; id[$1] = n; name[n] = $1; id[$2] = n; cmd[n] = command_of($4)
    ndep[n] = 0
    m = split($3, d, " ")
    for (j = 1; j <= m; j++) if ((d[j] in id) && id[d[j]] != n && !((n, id[d[j]]) in has)) { has[n, id[d[j]]] = 1; dep[n, ++ndep[n]] = id[d[j]]; rdep[id[d[j]], ++nrdep[id[d[j]]]] = n }
    k = kind($1); env = "COST_" cmd[n]; gsub(/-/, "_", env)
    if ($1 in measured) { cost[n] = measured[$1]; how[n] = "measured"; nm++ }
    else if (k in kmeasured) { cost[n] = kmeasured[k]; how[n] = "measured (kind)"; nm++ }
    else if (k in estimated) { cost[n] = estimated[k]; how[n] = "estimated"; ne++ }
    else if (cmd[n] != "train" && (($1 in likem) || (k in likek))) {
        f = "FACTOR_" cmd[n]; gsub(/-/, "_", f); f = (f in ENVIRON) ? ENVIRON[f] : 1
        cost[n] = f * (($1 in likem) ? likem[$1] : likek[k]); how[n] = "like " likescale; nl++
    }
    else if (env in ENVIRON) { cost[n] = ENVIRON[env]; how[n] = "default"; nd++ }
    else { cost[n] = (cmd[n] in def) ? def[cmd[n]] : 1; how[n] = "default"; nd++ }
}
BEGIN { nd0 = split(defaults, dv, " "); for (i = 1; i <= nd0; i++) { split(dv[i], kv, "="); def[kv[1]] = kv[2] } }
END {
    # longest path ending at each cell (Make lists a prerequisite before the cells that need it)
    for (i = 1; i <= n; i++) {
        best = 0; from[i] = 0
        for (j = 1; j <= ndep[i]; j++) if (finish[dep[i, j]] > best) { best = finish[dep[i, j]]; from[i] = dep[i, j] }
        finish[i] = best + cost[i]; work += cost[i]; bycmd[cmd[i]] += cost[i]; ncmd[cmd[i]]++
        if (finish[i] > cp) { cp = finish[i]; last = i }
        if (verbose) printf "%10.1f  %-16s %s\n", cost[i], how[i], name[i]
    }
    printf "cell graph of make %s SCALE=%s: %d cells (%d measured, %d estimated trainings, %s%d at their command'"'"'s default)\n", goal, scale, n, nm, ne, likescale == "" ? "" : nl " measured at " likescale " scale, ", nd
    printf "work: %s of one core; by command:", hms(work)
    for (c in bycmd) if (bycmd[c] >= 60) printf " %s %s (%d),", c, hms(bycmd[c]), ncmd[c]
    k = 0; for (i = last; i; i = from[i]) chain[++k] = i
    printf "\ncritical path: %s, %d cells:\n", hms(cp), k
    for (j = k; j >= 1; j--) printf "  %10s  %s (%s)\n", hms(cost[chain[j]]), name[chain[j]], how[chain[j]]
    printf "%8s  %12s  %12s  %s\n", "workers", "expected", "lower bound", "what limits it"
    nw = split(workers, W, " ")
    for (w = 1; w <= nw; w++) {
        N = W[w] + 0
        # as make -jN does: whenever a worker is free, the first cell in the order
        # whose prerequisites are done starts on it
        for (i = 1; i <= n; i++) { left[i] = ndep[i]; state[i] = 0 }
        t = 0; free = N; running = 0; first = 1; span = 0
        while (1) {
            for (i = first; i <= n && free > 0; i++)
                if (state[i] == 0 && left[i] == 0) { state[i] = 1; end[i] = t + cost[i]; run[++running] = i; free-- }
            while (first <= n && state[first]) first++
            if (running == 0) break
            # the next cell to finish
            b = 1; for (r = 2; r <= running; r++) if (end[run[r]] < end[run[b]]) b = r
            c = run[b]; t = end[c]; run[b] = run[running--]; free++; state[c] = 2; span = t
            for (r = 1; r <= nrdep[c]; r++) left[rdep[c, r]]--
        }
        lb = (work / N > cp) ? work / N : cp
        printf "%8d  %12s  %12s  %s\n", N, hms(span), hms(lb), (work / N > cp) ? "the work (cores)" : "the critical path (the longest chain of cells)"
    }
}' "$costlog" "$tmp/estimates.tsv" "$like" "$tmp/graph.tsv"
