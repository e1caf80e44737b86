module example.com/golens/traces

go 1.22
