// Command profgen writes the goroutine profile of a process holding N parked goroutines, each
// with pprof labels of its own (as a service tagging goroutines with request and trace ids does)
// and a call path of its own through a few functions: every goroutine is its own sample.
//
// Usage: profgen OUT.pb.gz N
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
)

var (
	gate    = make(chan struct{})
	started sync.WaitGroup
)

// Each goroutine descends through step0..step3 along the bits of its number, so stacks differ.
func step0(n, depth int) { descend(n, depth) }
func step1(n, depth int) { descend(n, depth) }
func step2(n, depth int) { descend(n, depth) }
func step3(n, depth int) { descend(n, depth) }

func descend(n, depth int) {
	if depth == 0 {
		started.Done()
		<-gate
		return
	}
	switch n & 3 {
	case 0:
		step0(n>>2, depth-1)
	case 1:
		step1(n>>2, depth-1)
	case 2:
		step2(n>>2, depth-1)
	default:
		step3(n>>2, depth-1)
	}
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		log.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: profgen OUT.pb.gz N")
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < n; i++ {
		started.Add(1)
		labels := pprof.Labels("request", strconv.Itoa(i), "trace", randomID(64), "span", randomID(32),
			"session", randomID(24))
		go pprof.Do(context.Background(), labels, func(context.Context) {
			descend(i, 9)
		})
	}
	started.Wait()
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	close(gate)
}
