# gates.gp -- heat map of the gates of the hidden units a pruned LSTM keeps
# (protocol P4, after seed 001 Fig. 2): one row per kept unit, one column per
# gate (i, f, g, o); a constant gate is coloured by its value, a gate that
# still depends on the input is grey.
# Input: the --gates table of `prunebench structure` (pos, unit, gate,
# gate_index, constant, value).
# Call: gnuplot -e "data='gates.tsv'; out='x.pdf'; title='...'" report/gates.gp
if (!exists("title")) title = 'gates of the kept hidden units'
set terminal pdfcairo size 9cm,12cm font 'Sans,8'
set output out
set datafile separator "\t"
set datafile commentschars "#"
set title title noenhanced
stats data using 1 every ::1 nooutput
n = STATS_records > 0 ? STATS_max + 1 : 1
set xrange [-0.5:3.5]
set yrange [n - 0.5:-0.5]
set xtics ("i" 0, "f" 1, "g" 2, "o" 3)
set ylabel 'kept hidden unit (in order)'
set cbrange [-1:1]
set cblabel 'value of a constant gate'
set palette defined (-1 '#2050a0', 0 'white', 1 '#b03020')
set style fill solid 1.0 noborder
if (STATS_records == 0) {
    set label 1 'no hidden unit kept' at 1.5, 0 center
    plot 1/0 notitle
} else {
    plot data using 4:1:(0.5):(0.5):($5 > 0 ? $6 : 1/0) every ::1 with boxxyerror linecolor palette notitle, \
         data using 4:($5 > 0 ? 1/0 : $1):(0.5):(0.5) every ::1 with boxxyerror fillcolor rgb '#b0b0b0' title 'depends on the input'
}
