module example.com/golens/benchmarks/tracegen

go 1.22
