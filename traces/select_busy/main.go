// Command select_busy shows a select with a default case spinning in a
// loop instead of blocking, next to a properly blocking select. A CPU
// profile runs during the trace, so the trace carries CPU samples of the spin.
//
// Usage: select_busy TRACE_FILE
package main

import (
	"io"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"
)

func spin(work <-chan int, quit <-chan struct{}) int {
	spins := 0
	for {
		select {
		case <-work:
		case <-quit:
			return spins
		default:
			spins++ // busy loop: burns a CPU while waiting
			if spins%1000 == 0 {
				runtime.Gosched()
			}
		}
	}
}

func blocking(work <-chan int, quit <-chan struct{}) {
	for {
		select {
		case <-work:
		case <-quit:
			return
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: select_busy TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		log.Fatal(err)
	}
	defer pprof.StopCPUProfile()
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	work := make(chan int)
	quit := make(chan struct{})
	done := make(chan int)
	go func() { done <- spin(work, quit) }()
	go blocking(work, quit)
	for i := 0; i < 40; i++ {
		work <- i
		time.Sleep(2 * time.Millisecond)
	}
	close(quit)
	<-done
	trace.Stop()
}
