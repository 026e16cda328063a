# logalpha.gp -- histogram of log alpha = -relevance over the weights of a
# network trained with sparse variational dropout (read from its order file,
# column 4 = relevance = -log alpha), with the operating point log alpha = 3
# (the weights to its right are zero at test time).
# Call: gnuplot -e "data='order.tsv'; out='x.pdf'; fmt='pdf'; title='...'" report/logalpha.gp
if (!exists("fmt")) fmt = 'png'
if (!exists("title")) title = 'log α of the weights'
set encoding utf8
if (fmt eq 'pdf') {
    set terminal pdfcairo size 10cm,6.5cm font 'Sans,10'
} else {
    set terminal pngcairo size 900,560 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
set title title noenhanced
set xlabel 'log α (bins of width 0.5)'
set ylabel 'number of weights'
set logscale y
set format y '10^{%T}'
set yrange [0.8:*]
set xtics 2
set style fill solid 0.7 noborder
width = 0.5
bin(x) = width * floor(x / width) + width / 2.0
set arrow from 3, graph 0 to 3, graph 1 nohead dashtype 2 linewidth 1.5 linecolor rgb 'black' front
set label 1 "log α = 3: the weights\nto the right are zero\nat test time" at 2.7, graph 0.9 right front font ',9'
plot data using (bin(-column(4))):(1.0) every ::1 smooth frequency with boxes linecolor rgb '#0072B2' notitle
