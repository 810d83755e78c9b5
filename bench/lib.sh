# Shell helpers shared by the benchmark scripts (sourced, not run).

log() { echo "[bench $(date +%T)] $*" >&2; }

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
