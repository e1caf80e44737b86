//go:build go1.23

// Command iter_pull drives iter.Pull coroutines (Go 1.23+), including one
// whose stop function is never called.
//
// Usage: iter_pull TRACE_FILE
package main

import (
	"iter"
	"log"
	"os"
	"runtime/trace"
)

func count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: iter_pull TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	next, stop := iter.Pull(count(100))
	sum := 0
	for {
		v, ok := next()
		if !ok {
			break
		}
		sum += v
	}
	stop()

	leakedNext, _ := iter.Pull(count(10)) // stop never called: coroutine leaks
	leakedNext()
	_ = sum
	trace.Stop()
}
