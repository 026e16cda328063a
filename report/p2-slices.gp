# p2-slices.gp -- protocol P2 comparison of methods in two panels:
#   left:  output noise vs % of prunable parameters removed at input noise s = at_level;
#   right: output noise vs input noise s at the removed fraction at_fraction;
# one line per method (mean over repeats) with a +-1 sd band over repeats.
# Call: gnuplot -e "data='...p2-slices.tsv'; methods_gp='...p2-methods.gp'; out='x.pdf'; fmt='pdf'" report/p2-slices.gp
# Both files are written by prunebench noise-summary: methods_gp defines methods,
# metric, dataset_title, at_fraction, at_level, draws; data holds index blocks
# 0..n-1 (left panel, method i in block i-1) and n..2n-1 (right panel).
# Optional: title (default: dataset_title).

load methods_gp
if (!exists("fmt")) fmt = 'png'
if (!exists("title")) title = dataset_title . ': output noise under input noise (mean +- 1 sd over repeats)'
if (fmt eq 'pdf') {
    set terminal pdfcairo size 18cm,8cm font 'Sans,9'
} else {
    set terminal pngcairo size 1300,580 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
n = words(methods)
set style fill transparent solid 0.18 noborder
set grid
set key top left box opaque width 1
set multiplot layout 1,2 title title
set xlabel '% of prunable parameters removed'
set ylabel 'output noise'
set xrange [0:100]
set yrange [0:*]
set title sprintf('input noise s = %g', at_level)
plot for [i=1:n] data index (i-1) using 1:($2-$3):($2+$3) with filledcurves linecolor i notitle, \
     for [i=1:n] data index (i-1) using 1:2 with linespoints linecolor i pointtype i pointsize 0.5 linewidth 1.5 title word(methods, i)
set xlabel 'input noise s (standardized units)'
set xrange [*:*]
set title sprintf('%g%% of the prunable parameters removed', 100 * at_fraction)
plot for [i=1:n] data index (n+i-1) using 1:($2-$3):($2+$3) with filledcurves linecolor i notitle, \
     for [i=1:n] data index (n+i-1) using 1:2 with linespoints linecolor i pointtype i pointsize 0.5 linewidth 1.5 title word(methods, i)
unset multiplot
