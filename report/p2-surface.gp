# p2-surface.gp -- protocol P2 figure for one method: output noise as a surface
# over % of prunable parameters removed (x) and input-noise level s (y),
# mean over repeats.
# Call: gnuplot -e "data='...p2-obd.tsv'; out='x.pdf'; fmt='pdf'; title='Wine: obd'" report/p2-surface.gp
# data is a surface file written by prunebench noise-summary (PREFIX-<method>.tsv:
# percent removed, s, output noise, quality, ...; a blank line between fraction
# scans). Optional: zlabel_text (default: output noise).

if (!exists("fmt")) fmt = 'png'
if (!exists("title")) title = ''
if (!exists("zlabel_text")) zlabel_text = 'output noise (sd over noise draws)'
if (fmt eq 'pdf') {
    set terminal pdfcairo size 12cm,9cm font 'Sans,9'
} else {
    set terminal pngcairo size 900,700 font 'Sans,11'
}
set output out
set datafile separator "\t"
set datafile commentschars "#"
set title title
set xlabel '% of prunable parameters removed' offset 0,-0.5
set ylabel 'input noise s (std. units)' offset 0,-0.5
set zlabel zlabel_text rotate parallel
set xrange [0:100]
set zrange [0:*]
set ticslevel 0
set view 58, 38
set grid x y z
set pm3d depthorder border linewidth 0.3 linecolor rgb '#505050'
set palette rgbformulae 33,13,10
set size 0.9,1
set colorbox vertical user origin 0.91,0.25 size 0.022,0.55
splot data using 1:2:3 with pm3d notitle
