# p1.gp -- protocol P1 figure: quality vs % of parameters removed, one line
# per method (mean over repeats) with a +-1 sd band.
# Call: gnuplot -e "data='...p1-mean.tsv'; methods_gp='...p1-methods.gp'; out='x.pdf'; fmt='pdf'" report/p1.gp
# p1-methods.gp (written by prunebench summarize) defines methods, metric, dataset_title.

load methods_gp
if (fmt eq 'pdf') {
    set terminal pdfcairo size 12cm,8cm font 'Sans,9'
} else {
    set terminal pngcairo size 900,600 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
set xlabel '% of prunable parameters removed'
set ylabel (metric eq 'accuracy' ? 'test accuracy' : 'test RMSE')
set title dataset_title . ': quality vs parameters removed (mean +- 1 sd over repeats)'
set xrange [0:100]
if (metric eq 'accuracy') { set key bottom left box opaque } else { set key top left box opaque }
set grid
set style fill transparent solid 0.18 noborder
n = words(methods)
plot for [i=1:n] data index (i-1) using 1:4:5 with filledcurves linecolor i notitle, \
     for [i=1:n] data index (i-1) using 1:2 with linespoints linecolor i pointtype i pointsize 0.5 linewidth 1.5 title word(methods, i)
