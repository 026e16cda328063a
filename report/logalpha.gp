# logalpha.gp -- histogram of log alpha = -relevance over the weights of a
# network trained with sparse variational dropout (read from its order file,
# column 4 = relevance = -log alpha), with the operating point log alpha = 3.
# Call: gnuplot -e "data='order.tsv'; out='x.pdf'; fmt='pdf'; title='...'" report/logalpha.gp
if (!exists("fmt")) fmt = 'png'
if (!exists("title")) title = 'log alpha of the weights'
if (fmt eq 'pdf') {
    set terminal pdfcairo size 12cm,7cm font 'Sans,9'
} else {
    set terminal pngcairo size 900,520 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
set title title
set xlabel 'log alpha (weights with log alpha >= 3 are zero at test time)'
set ylabel 'number of weights'
set logscale y
set yrange [0.8:*]
set style fill solid 0.6 noborder
width = 0.5
bin(x) = width * floor(x / width) + width / 2.0
set arrow from 3, graph 0 to 3, graph 1 nohead dashtype 2 linecolor rgb 'black'
plot data using (bin(-column(4))):(1.0) every ::1 smooth frequency with boxes linecolor rgb '#3060a0' notitle
