# p1.gp -- protocol P1 figure: quality vs % of parameters removed, one line
# per method (mean over repeats) with a +-1 sd band (none for one run).
# Call: gnuplot -e "data='...p1-mean.tsv'; methods_gp='...p1-methods.gp'; out='x.pdf'; fmt='pdf'" report/p1.gp
# Optional: range_data='a-mean.tsv b-mean.tsv', the y-range over all of them.
# p1-methods.gp (written by prunebench summarize) defines methods and their
# styles (colors, points, dashes, own, method_title(i); protocols/styles.h),
# metric, dataset_title, repeats (fewest of any method), repeats_max.
# A method that trained its own network is dashed, "(own network)" in the key.

load methods_gp
if (!exists("fmt")) fmt = 'png'
set encoding utf8
if (fmt eq 'pdf') {
    set terminal pdfcairo size 10.5cm,8cm font 'Sans,10'
} else {
    set terminal pngcairo size 900,680 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
acc = (metric eq 'accuracy')
set xlabel '% of prunable parameters removed'
set ylabel (acc ? 'test accuracy' : 'test RMSE')
# what the line and band are: one run has no band
one_run = (repeats_max <= 1)
spread = one_run ? 'one run' : \
         (repeats == repeats_max ? sprintf('mean ± 1 sd over %d repeats', repeats) : \
                                   sprintf('mean ± 1 sd over %d–%d repeats', repeats, repeats_max))
set title dataset_title . ' (' . spread . ')' noenhanced
set xrange [0:100]
set xtics 20
# the band never crosses an impossible value: accuracy in [0, 1], RMSE >= 0
lo(y) = y < 0 ? 0 : y
hi(y) = acc && y > 1 ? 1 : y
# y from the data (RMSE from 0), a little room at both ends so the points
# there are whole; with range_data (mean files, space-separated) from all of
# them, so figures shown side by side share one y-scale
if (!exists("range_data")) range_data = data
ymin = 1e300
ymax = -1e300
do for [f in range_data] {
    stats f using (lo($4)):(hi($5)) nooutput
    ymin = STATS_min_x < ymin ? STATS_min_x : ymin
    ymax = STATS_max_y > ymax ? STATS_max_y : ymax
}
ybot = acc ? ymin : 0
pad = 0.03 * (ymax - ybot)
set yrange [lo(ybot - (acc ? pad : 0)):ymax + pad]
# the key below the plot, never over the curves
set key outside below center horizontal maxcols 3 noenhanced samplen 3 spacing 1.1 reverse Left height 1
set xlabel offset 0,0.3
set grid lc rgb '#d8d8d8'
set style fill transparent solid 0.15 noborder
n = words(methods)
plot for [i=1:(one_run ? 0 : n)] data index (i-1) using 1:(lo($4)):(hi($5)) with filledcurves \
         fillcolor rgb word(colors, i) notitle, \
     for [i=1:n] data index (i-1) using 1:2 with linespoints linecolor rgb word(colors, i) \
         pointtype int(word(points, i)) dashtype int(word(dashes, i)) pointsize 0.55 linewidth 1.6 \
         title method_title(i)
