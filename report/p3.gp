# p3.gp -- protocol P3 figure in the shape of seed 000 Figs. 1-2: the bound
# L, test quality (macro F1 for classification, RMSE for regression) and
# the kept fraction against the threshold lambda on |m/s|, and quality
# against the kept fraction; one line per posterior family (D: diagonal,
# I: scalar), mean over repeats with a +-1 sd band.
# Call: gnuplot -e "data='...p3-mean.tsv'; families_gp='...p3.gp'; out='x.pdf'" report/p3.gp
# families_gp (written by prunebench sweep-summary --gp): families, metric, dataset_title, repeats.

load families_gp
set terminal pdfcairo size 16cm,11cm font 'Sans,8'
set output out
set datafile separator "\t"
set datafile commentschars "#"
set datafile missing "nan"
set style fill transparent solid 0.18 noborder
set grid
set key top left box opaque
n = words(families)
color(f) = (f eq 'D' ? '#0072B2' : '#E69F00')
label(f) = (f eq 'D' ? 'D: diagonal posterior' : 'I: scalar posterior')
cls = (metric eq 'accuracy')
qcol = cls ? 6 : 4
qname = cls ? 'test macro F1' : 'test RMSE'
how = (repeats > 1 ? sprintf('mean +- 1 sd over %d repeats', repeats) : 'one run')
set multiplot layout 2,2 title dataset_title . ': protocol P3, remove |m/s| < lambda (' . how . ')'
set logscale x
set format x '10^{%T}'
set xlabel 'lambda'

set ylabel 'variational bound L (lower is better)'
plot for [i=1:n] data index (i-1) using 1:($8-$9):($8+$9) with filledcurves lc rgb color(word(families,i)) notitle, \
     for [i=1:n] data index (i-1) using 1:8 with lines lw 1.5 lc rgb color(word(families,i)) title label(word(families,i))

set ylabel qname
if (cls) { set yrange [0:1] } else { set yrange [0:*] }
set key bottom left
plot for [i=1:n] data index (i-1) using 1:(column(qcol)-column(qcol+1)):(column(qcol)+column(qcol+1)) with filledcurves lc rgb color(word(families,i)) notitle, \
     for [i=1:n] data index (i-1) using 1:qcol with lines lw 1.5 lc rgb color(word(families,i)) title label(word(families,i))

set ylabel 'fraction of parameters kept'
set yrange [0:1]
plot for [i=1:n] data index (i-1) using 1:($2-$3):($2+$3) with filledcurves lc rgb color(word(families,i)) notitle, \
     for [i=1:n] data index (i-1) using 1:2 with lines lw 1.5 lc rgb color(word(families,i)) title label(word(families,i))

unset logscale x
set format x '%g'
set xlabel 'fraction of parameters kept'
set xrange [0:1]
set ylabel qname
if (cls) { set yrange [0:1] } else { set yrange [0:*] }
set key bottom right
plot for [i=1:n] data index (i-1) using 2:qcol with linespoints pt 7 ps 0.4 lw 1.5 lc rgb color(word(families,i)) title label(word(families,i))
unset multiplot
