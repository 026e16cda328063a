#!/usr/bin/env bash
# p5-summary.sh DIR 'LAMBDAS' 'RUNS' PUBLISHED -- protocol P5 (seed 003): from
# the P1 curves DIR/curve/<method>-l<lambda>-r<run>.tsv of the six methods
# (direct direct1 lowrank lowrankft linear linearft), over the runs:
#   DIR/p5-summary.tsv  one row per method and lambda: mean and sd of the
#       test accuracy (nothing removed), of the stability S = accuracy /
#       accuracy at 90% removed (the curve's requested fraction 0.9), of the
#       generalized evidence Lgen (the fit's lgen=), and the parameter
#       updates: own (this fit's training; 0 for a generated model) and
#       shared (the hypernetwork's, counted once for all lambdas);
#   DIR/p5-curves.tsv   for report/p5.gp: one block per method (the order
#       above), rows: requested fraction, mean accuracy at each lambda;
#   DIR/p5-tables.tex   Tables 1-3 of seed 003 (accuracy and the updates to
#       obtain the models at every lambda; S; Lgen), ours with the
#       published value (PUBLISHED: report/published/p5.tsv) in parentheses.
# Updates per method (Table 1's last column): the sum over lambdas of the
# own updates (mean over runs) plus the shared ones: direct 4 trainings,
# a hypernetwork one training, fine-tuned one training and 4 epochs.
# Files are written to X.tmp, then renamed.
set -euo pipefail
dir=$1 lambdas=$2 runs=$3 published=$4
methods="direct direct1 lowrank lowrankft linear linearft"
files=()
for m in $methods; do for l in $lambdas; do for r in $runs; do
    f="$dir/curve/$m-l$l-r$r.tsv"
    [ -s "$f" ] || { echo "p5-summary.sh: missing $f" >&2; exit 1; }
    files+=("$f")
done; done; done
awk -F'\t' -v dir="$dir" -v methods="$methods" -v lambdas="$lambdas" -v pub="$published" '
function setting(s, key,   i, n, kv) {
    n = split(s, kv, " ")
    for (i = 1; i <= n; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2)
    return ""
}
function sd(s, q, n,   v) { v = q / n - (s / n) ^ 2; return v > 0 ? sqrt(v) : 0 }
function fmt(x) { return sprintf("%.3f", x) }
function big(x) { return sprintf("%.0f", x) }
FNR == 1 {
    if (NR > 1) finish(prev)
    prev = FILENAME; f = FILENAME; sub(/.*\//, "", f); sub(/\.tsv$/, "", f)
    split(f, part, "-l"); m = part[1]; split(part[2], lr, "-r"); l = lr[1]
    key = m SUBSEP l; nrun[key]++; have0 = have9 = 0; settings = ""
}
/^# fit_settings: / { settings = substr($0, 17); next }
/^#/ { next }
$1 == "requested_fraction" { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    fr = $1 + 0; q = $(col["quality"]) + 0
    cs[m, l, $1] += q; cn[m, l, $1]++; frs[$1] = fr
    if (fr == 0 && !have0) { acc = q; have0 = 1; sa[key] += q; qa[key] += q * q }
    if (fr == 0.9 && !have9) { have9 = 1; a9 = q }
}
function finish(file) {
    if (!have0 || !have9) { print file ": no rows at fractions 0 and 0.9" > "/dev/stderr"; bad = 1; exit 1 }
    Sv = a9 > 0 ? acc / a9 : 1e9; ss[key] += Sv; qs[key] += Sv * Sv
    lg = setting(settings, "lgen"); u = setting(settings, "updates"); ut = setting(settings, "updates_total")
    if (lg == "" || u == "") { print file ": the fit settings have no lgen= or updates=" > "/dev/stderr"; bad = 1; exit 1 }
    sl[key] += lg; ql[key] += lg * lg
    if (settings ~ /generator=hyper/) { own = 0; shared = u } else { own = u; shared = (ut == "" ? 0 : ut - u) }
    so[key] += own; if (shared > sh[m]) sh[m] = shared
}
END {
    if (NR) finish(prev)
    if (bad) exit 1
    nm = split(methods, M, " "); nl = split(lambdas, L, " ")
    while ((getline line < pub) > 0) {
        if (line ~ /^#/) continue
        np = split(line, p, "\t")
        if (p[1] == "method") { for (c = 3; c <= np; c++) { h[c] = p[c]; sub(/^l/, "", h[c]) } continue }
        for (c = 3; c <= np; c++) P[p[1], p[2], h[c]] = p[c]
    }
    out = dir "/p5-summary.tsv.tmp"
    print "# prunebench P5 summary (seed 003): per method and lambda, mean and sd over runs" > out
    print "method\tlambda\truns\taccuracy\taccuracy_sd\tstability\tstability_sd\tlgen\tlgen_sd\tupdates_own\tupdates_shared" > out
    for (i = 1; i <= nm; i++) { upd[M[i]] = sh[M[i]]
        for (j = 1; j <= nl; j++) { k = M[i] SUBSEP L[j]; n = nrun[k]
            A[i, j] = sa[k] / n; S[i, j] = ss[k] / n; G[i, j] = sl[k] / n; upd[M[i]] += so[k] / n
            printf "%s\t%s\t%d\t%.6g\t%.3g\t%.6g\t%.3g\t%.8g\t%.4g\t%.0f\t%.0f\n", M[i], L[j], n, A[i, j], sd(sa[k], qa[k], n),
                S[i, j], sd(ss[k], qs[k], n), G[i, j], sd(sl[k], ql[k], n), so[k] / n, sh[M[i]] > out } }
    close(out)
    out = dir "/p5-curves.tsv.tmp"
    nf = 0; for (fk in frs) F[++nf] = frs[fk] ""
    for (a = 1; a <= nf; a++) for (b = a + 1; b <= nf; b++) if (F[b] + 0 < F[a] + 0) { t = F[a]; F[a] = F[b]; F[b] = t }
    print "# prunebench P5 curves: mean test accuracy over runs against the requested fraction removed, one block per method" > out
    for (i = 1; i <= nm; i++) {
        printf "%s# method %s\nfraction", (i > 1 ? "\n\n" : ""), M[i] > out
        for (j = 1; j <= nl; j++) printf "\tlambda=%s", L[j] > out
        printf "\n" > out
        for (a = 1; a <= nf; a++) { line = F[a]; ok = 0
            for (fk in frs) if (frs[fk] == F[a]) fkey = fk
            for (j = 1; j <= nl; j++) { c = cn[M[i], L[j], fkey]; line = line "\t" (c ? sprintf("%.6g", cs[M[i], L[j], fkey] / c) : "nan") }
            print line > out } }
    close(out)
    out = dir "/p5-tables.tex.tmp"
    split("(a) direct|(b) direct, one epoch|(c) low-rank hypernetwork|(d) (c) + one epoch|(e) linear hypernetwork|(f) (e) + one epoch", NAME, "|")
    print "% generated by scripts/p5-summary.sh -- do not edit" > out
    for (t = 1; t <= 3; t++) {
        tab = t == 1 ? "acc" : t == 2 ? "S" : "L"
        cols = ""; for (j = 1; j <= nl; j++) cols = cols "r"
        printf "\\begin{table}[H]\n\\centering\\small\n\\begin{tabular}{l%s%s}\n\\toprule\nmodel", cols, (t == 1 ? "r" : "") > out
        for (j = 1; j <= nl; j++) printf " & $\\lambda=%s$", L[j] > out
        printf "%s \\\\\n\\midrule\n", (t == 1 ? " & updates" : "") > out
        for (i = 1; i <= nm; i++) { printf "%s", NAME[i] > out
            for (j = 1; j <= nl; j++) {
                v = t == 1 ? fmt(A[i, j]) : t == 2 ? fmt(S[i, j]) : big(G[i, j]); pv = P[M[i], tab, L[j]]
                printf " & %s {\\footnotesize(%s)}", v, pv == "" ? "--" : (t == 3 ? big(pv) : fmt(pv)) > out }
            if (t == 1) printf " & %.3g {\\footnotesize(%.3g)}", upd[M[i]], P[M[i], "acc", "updates"] > out
            printf " \\\\\n" > out }
        caption = t == 1 ? "The shape of Table~1 of~\\cite{grebenkova2021}: test accuracy per $\\lambda$ and the parameter updates counted to obtain the models at every $\\lambda$" : t == 2 ? "The shape of Table~2: stability $S$, the accuracy of the model over its accuracy with 90\\% of the weights removed in $|m/s|$ order" : "The shape of Table~3: the generalized evidence $\\mathcal L=\\mathrm E_q\\log p(D|w)-\\lambda\\,\\mathrm{KL}(q\\|p)$ on the training set"
        printf "\\bottomrule\n\\end{tabular}\n\\caption{%s; mean over \\pbPFiveRuns{} run(s), the published MNIST values in parentheses (a different dataset).}\n\\end{table}\n\n", caption > out }
    close(out)
}' "${files[@]}"
for f in p5-summary.tsv p5-curves.tsv p5-tables.tex; do mv "$dir/$f.tmp" "$dir/$f"; done
