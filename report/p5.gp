# p5.gp -- protocol P5 figure in the shape of seed 003 Fig. 1 (a)-(f): test
# accuracy against the percentage of weights removed in |m/s| order, one
# panel per method, one curve per lambda (mean over runs).
# Call: gnuplot -e "data='...p5-curves.tsv'; nlambda=4; out='x.pdf'" report/p5.gp
# data (scripts/p5-summary.sh): six blocks (direct, direct1, lowrank,
# lowrankft, linear, linearft), columns fraction and one per lambda.

set terminal pdfcairo size 16cm,10cm font 'Sans,7'
set output out
set datafile separator "\t"
set datafile commentschars "#"
set datafile missing "nan"
set grid
set key bottom left box opaque
set xrange [0:100]
set yrange [0:1]
set xlabel '% of weights removed'
set ylabel 'test accuracy'
titles = "'(a) direct' '(b) direct, one epoch' '(c) low-rank hypernetwork' '(d) (c) + one epoch' '(e) linear hypernetwork' '(f) (e) + one epoch'"
colors = "#0072B2 #E69F00 #009E73 #CC79A7"
set multiplot layout 2,3 title 'Protocol P5: accuracy against weights removed in |m/s| order, one curve per lambda'
do for [b = 0:5] {
    set title word(titles, b + 1)
    plot for [c = 2:nlambda + 1] data index b using (100 * $1):c with linespoints pt 7 ps 0.3 lw 1.2 lc rgb word(colors, c - 1) title columnheader(c)
}
unset multiplot
