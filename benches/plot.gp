# Scan throughput against tile hit rate per path, from `report --plot-data` (see `make plot`):
# one panel per string count. Variables: data (input file), out (PNG file).
set terminal pngcairo size 1400,560 font "sans,10"
set output out
set xlabel "tiles with a match (%)"
set ylabel "GB/s (log scale)"
set logscale y
set yrange [0.5:2000]
set xtics (0, 1, 5, 15, 30, 60, 100)
set logscale x 2
set xrange [0.5:128]
set grid
set key bottom left font ",9"
set multiplot layout 1,2 title "specrt scan throughput, 1 GiB input (0 % plotted at 0.5)"
do for [block=0:1] {
  set title (block == 0 ? "1,000 strings" : "10,000 strings")
  plot data index block using ($1 == 0 ? 0.5 : $1):6 with linespoints title "GPU resident, fused", \
       data index block using ($1 == 0 ? 0.5 : $1):7 with linespoints title "GPU resident, serial", \
       data index block using ($1 == 0 ? 0.5 : $1):8 with linespoints title "GPU resident, adaptive", \
       data index block using ($1 == 0 ? 0.5 : $1):2 with linespoints title "end to end, fused", \
       data index block using ($1 == 0 ? 0.5 : $1):3 with linespoints title "end to end, serial", \
       data index block using ($1 == 0 ? 0.5 : $1):4 with linespoints title "end to end, adaptive", \
       data index block using ($1 == 0 ? 0.5 : $1):5 with linespoints title "specrt CPU backend", \
       data index block using ($1 == 0 ? 0.5 : $1):9 with linespoints title "yara -p 16", \
       data index block using ($1 == 0 ? 0.5 : $1):10 with linespoints title "Vectorscan, 16 threads"
}
unset multiplot
