# p2-slices.gp -- protocol P2 comparison of methods in two panels:
#   left:  output noise vs % of prunable parameters removed at input noise s = at_level;
#   right: output noise vs input noise s at the removed fraction at_fraction;
# one line per method (mean over repeats) with a +-1 sd band over repeats
# (none for one run; the band is cut at 0, output noise being an sd), one
# key below both panels.
# Call: gnuplot -e "data='...p2-slices.tsv'; methods_gp='...p2-surface-methods.gp'; out='x.pdf'; fmt='pdf'" report/p2-slices.gp
# Both files are written by prunebench noise-summary: methods_gp defines
# methods and their styles (colors, points, dashes, own, method_title(i);
# protocols/styles.h), metric, dataset_title, at_fraction, at_level, draws,
# repeats (fewest of any method), repeats_max; data holds index blocks
# 0..n-1 (left panel, method i in block i-1) and n..2n-1 (right panel).
# Optional: title (default: dataset_title and what the lines are).

load methods_gp
if (!exists("fmt")) fmt = 'png'
set encoding utf8
one_run = (repeats_max <= 1)
spread = one_run ? 'one run' : \
         (repeats == repeats_max ? sprintf('mean ± 1 sd over %d repeats', repeats) : \
                                   sprintf('mean ± 1 sd over %d–%d repeats', repeats, repeats_max))
if (!exists("title")) title = dataset_title . ': output noise under input noise (' . spread . ')'
if (fmt eq 'pdf') {
    set terminal pdfcairo size 18cm,8.5cm font 'Sans,10'
} else {
    set terminal pngcairo size 1300,620 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
n = words(methods)
lo(y) = y < 0 ? 0 : y
set style fill transparent solid 0.15 noborder
set grid lc rgb '#d8d8d8'
set multiplot title title noenhanced
# both panels the same size, room below them for one key
set bmargin at screen 0.27
set tmargin at screen 0.86
set ylabel 'output noise (sd over noise draws)'
set yrange [0:*]

set lmargin at screen 0.07
set rmargin at screen 0.47
set xlabel '% of prunable parameters removed' offset 0,0.3
set xrange [0:100]
set xtics 20
set title sprintf('input noise s = %g', at_level)
plot for [i=1:(one_run ? 0 : n)] data index (i-1) using 1:(lo($2-$3)):($2+$3) with filledcurves \
         fillcolor rgb word(colors, i) notitle, \
     for [i=1:n] data index (i-1) using 1:2 with linespoints linecolor rgb word(colors, i) \
         pointtype int(word(points, i)) dashtype int(word(dashes, i)) pointsize 0.55 linewidth 1.6 \
         notitle

set lmargin at screen 0.57
set rmargin at screen 0.97
set xlabel 'input noise s (standardized input units)'
set xrange [*:*]
set xtics autofreq
set title sprintf('%g%% of the prunable parameters removed', 100 * at_fraction)
plot for [i=1:(one_run ? 0 : n)] data index (n+i-1) using 1:(lo($2-$3)):($2+$3) with filledcurves \
         fillcolor rgb word(colors, i) notitle, \
     for [i=1:n] data index (n+i-1) using 1:2 with linespoints linecolor rgb word(colors, i) \
         pointtype int(word(points, i)) dashtype int(word(dashes, i)) pointsize 0.55 linewidth 1.6 \
         notitle

# the key, in a plot of its own across the bottom of the page
unset title
unset xlabel
unset ylabel
unset tics
unset border
unset grid
set lmargin at screen 0.05
set rmargin at screen 0.95
set bmargin at screen 0.01
set tmargin at screen 0.16
set xrange [0:1]
set yrange [0:1]
set key center center horizontal maxrows 2 noenhanced samplen 3 spacing 1.1 reverse Left
plot for [i=1:n] NaN with linespoints linecolor rgb word(colors, i) pointtype int(word(points, i)) \
         dashtype int(word(dashes, i)) pointsize 0.55 linewidth 1.6 title method_title(i)
unset multiplot
