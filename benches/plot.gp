# Scan throughput against tile hit rate per path, from `report --plot-data` (see `make plot`).
# Variables: data (input file), out (PNG file).
set terminal pngcairo size 1000,600 font "sans,11"
set output out
set title "specrt scan throughput, 1 GiB, 1,000 strings"
set xlabel "tiles with a match (%)"
set ylabel "GB/s (log scale)"
set logscale y
set key outside right
set grid
plot data using 1:6 with linespoints title "GPU resident, fused", \
     data using 1:7 with linespoints title "GPU resident, serial", \
     data using 1:8 with linespoints title "GPU resident, adaptive", \
     data using 1:2 with linespoints title "end to end, fused", \
     data using 1:3 with linespoints title "end to end, serial", \
     data using 1:4 with linespoints title "end to end, adaptive", \
     data using 1:5 with linespoints title "CPU backend", \
     data using 1:9 with linespoints title "yara -p", \
     data using 1:10 with linespoints title "Vectorscan"
