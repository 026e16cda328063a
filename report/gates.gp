# gates.gp -- heat map of the gates of the hidden units a pruned LSTM keeps
# (protocol P4, after seed 001 Fig. 2): one row per kept unit (only those),
# one column per gate (i input, f forget, g cell input, o output). A gate that
# is constant (its weights from the input and the hidden state all removed)
# is coloured by its constant value; a gate that still depends on the input
# is grey.
# Input: the --gates table of `prunebench structure` (pos, unit, gate,
# gate_index, constant, value).
# Call: gnuplot -e "data='gates.tsv'; out='x.pdf'; title='svd'" report/gates.gp
# Sized to be read at a quarter of the text width (the report's layout); the
# title is short (the method); the counts follow from the table.
if (!exists("title")) title = 'gates'
set encoding utf8
set terminal pdfcairo size 5cm,8cm font 'Sans,8'
set output out
set datafile separator "\t"
set datafile commentschars "#"
# (an empty table, no unit kept: stats finds nothing and sets nothing)
stats data using 1 every ::1 nooutput
if (!exists("STATS_records")) { STATS_records = 0 }
n = STATS_records > 0 ? int(STATS_max) + 1 : 0
n_gates = STATS_records
n_const = 0
ng = 4
if (n > 0) {
    stats data using 5 every ::1 nooutput
    n_const = int(STATS_sum)
    stats data using 4 every ::1 nooutput
    ng = int(STATS_max) + 1
}
set title sprintf("%s\n%d unit%s kept; %d of %d gates constant", title, n, n == 1 ? '' : 's', n_const, n_gates) noenhanced
set xrange [-0.5:ng - 0.5]
set x2range [-0.5:ng - 0.5]
set yrange [(n > 0 ? n : 1) - 0.5:-0.5]
# the gates named above the columns (an LSTM's four; otherwise numbered)
if (ng == 4) {
    set x2tics ("i" 0, "f" 1, "g" 2, "o" 3) scale 0 offset 0,-0.3
} else {
    set x2tics 1 scale 0 offset 0,-0.3
}
unset xtics
# many units: rows without gaps, white lines between the gate columns
if (n > 40) {
    do for [j=1:ng-1] { set arrow from j - 0.5, graph 0 to j - 0.5, graph 1 nohead linecolor rgb 'white' linewidth 2 front }
}
# few units: each row named by the unit's index in the full network
if (n > 0 && n <= 32) {
    set ylabel 'kept hidden unit (its index)' offset 1,0
    set ytics scale 0 font 'Sans,7'
} else {
    set ylabel 'kept hidden unit (in order)' offset 1,0
    set ytics out nomirror
}
# constant gates: sigmoid gates (i, f, o) in (0, 1), the cell input g in (-1, 1);
# a diverging palette with no white, so a constant 0 is a colour too
set cbrange [-1:1]
set palette defined (-1 '#2c7bb6', -0.5 '#abd9e9', 0 '#ffffbf', 0.5 '#fdae61', 1 '#d7191c')
set colorbox horizontal user origin 0.2, 0.075 size 0.6, 0.025
set cbtics 0.5 offset 0,0.4 scale 0.5
set cblabel 'value of a constant gate' offset 0,1.3
set bmargin at screen 0.22
set lmargin 7
set rmargin 2
# the grey key entry sits between the map and the colour bar
set key at screen 0.5, 0.165 center center samplen 1.2 reverse Left
set style fill solid 1.0 border rgb 'white'
half = n > 40 ? 0.5 : 0.47
if (n == 0) {
    unset colorbox
    unset ytics
    set label 1 'no hidden unit kept' at (ng - 1) / 2.0, 0 center
    plot 1/0 notitle
} else {
    if (n <= 32) {
        plot data using 4:1:(half):(half):($5 > 0 ? $6 : 1/0):ytic(2) every ::1 with boxxyerror \
                 linecolor palette notitle, \
             data using 4:($5 > 0 ? 1/0 : $1):(half):(half) every ::1 with boxxyerror fillcolor rgb '#a0a0a0' \
                 title 'depends on the input'
    } else {
        set style fill solid 1.0 noborder
        plot data using 4:1:(half):(half):($5 > 0 ? $6 : 1/0) every ::1 with boxxyerror \
                 linecolor palette notitle, \
             data using 4:($5 > 0 ? 1/0 : $1):(half):(half) every ::1 with boxxyerror fillcolor rgb '#a0a0a0' \
                 title 'depends on the input'
    }
}
