module example.com/golens/benchmarks/profgen

go 1.22
