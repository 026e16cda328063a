# p2-surface.gp -- protocol P2 figure for one method: output noise as a surface
# over % of prunable parameters removed (x) and input-noise level s (y),
# mean over repeats.
# Call: gnuplot -e "data='...p2-surface-obd.tsv'; methods_gp='...p2-surface-methods.gp'; method='obd';
#                   out='x.pdf'; fmt='pdf'; title='Wine: obd'" report/p2-surface.gp
# data is a surface file written by prunebench noise-summary (PREFIX-<method>.tsv:
# percent removed, s, output noise, quality, ...; a blank line between fraction
# scans). methods_gp (PREFIX-methods.gp, written with it) gives zmax, the
# largest mean output noise over every method's surface of the dataset: all
# of them share one z-scale and one colour scale, [0, zmax]. With method, the
# title says whether it trained its own network and how many repeats the
# mean is over. Optional: zlabel_text (default: output noise).

if (!exists("fmt")) fmt = 'png'
if (!exists("title")) title = ''
if (!exists("zlabel_text")) zlabel_text = 'output noise (sd over draws)'
set encoding utf8
if (exists("methods_gp")) {
    load methods_gp
    if (exists("method")) {
        k = 0
        do for [i=1:words(methods)] { if (word(methods, i) eq method) { k = i } }
        if (k > 0 && word(own, k) eq "1") { title = title . ' (own network)' }
    }
    title = title . (repeats_max <= 1 ? ', one run' : \
                     repeats == repeats_max ? sprintf(', mean over %d repeats', repeats) : \
                                              sprintf(', mean over %d–%d repeats', repeats, repeats_max))
}
if (fmt eq 'pdf') {
    set terminal pdfcairo size 10.5cm,8cm font 'Sans,9'
} else {
    set terminal pngcairo size 900,700 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
set title title noenhanced
set xlabel '% of prunable parameters removed' rotate parallel offset 0,-0.3
set ylabel 'input noise s (std. units)' rotate parallel offset 0,-0.3
set zlabel zlabel_text rotate parallel offset 1,0
set xrange [0:100]
set xtics 20 offset 0,-0.3
set ytics offset 0.5,-0.3
# one z-scale and one colour scale for every surface of the dataset
if (exists("zmax") && zmax > 0) {
    set zrange [0:1.02 * zmax]
    set cbrange [0:zmax]
} else {
    set zrange [0:*]
}
set ticslevel 0
set view 58, 38, 1.06
set grid x y z lc rgb '#d8d8d8'
set pm3d depthorder border linewidth 0.3 linecolor rgb '#505050'
# viridis (perceptually uniform, readable in grey and by colour-blind readers)
set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')
set size 0.86,1
set origin 0.04,0
set colorbox vertical user origin 0.87,0.25 size 0.022,0.55
splot data using 1:2:3 with pm3d notitle
