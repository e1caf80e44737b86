// Command ticker_loop shows timer misuse: a ticker that is never stopped,
// time.After allocated on every loop iteration, and time.Tick.
//
// Usage: ticker_loop TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime/trace"
	"time"
)

func heartbeat(done <-chan struct{}) {
	t := time.NewTicker(5 * time.Millisecond) // missing defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-done:
			return
		}
	}
}

func waitWithTimeout(events <-chan int) int {
	n := 0
	for {
		select {
		case <-events:
			n++
		case <-time.After(3 * time.Millisecond): // new timer per iteration
			return n
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: ticker_loop TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	go heartbeat(done)

	events := make(chan int)
	go func() {
		for i := 0; i < 50; i++ {
			events <- i
			time.Sleep(time.Millisecond)
		}
	}()
	_ = waitWithTimeout(events)

	ticks := 0
	for range time.Tick(4 * time.Millisecond) {
		ticks++
		if ticks == 20 {
			break
		}
	}
	close(done)
	time.Sleep(10 * time.Millisecond)
	trace.Stop()
}
