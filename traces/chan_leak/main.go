// Command chan_leak shows goroutines leaked on channel operations: a
// "first answer wins" fan-out whose losers block on send forever, and
// workers ranging over a channel that is never closed. Some of them exist
// before the trace starts.
//
// Usage: chan_leak TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime/trace"
	"time"
)

func query(replica int) string {
	time.Sleep(time.Duration(replica+1) * time.Millisecond)
	return "result"
}

// firstResult returns the fastest replica's answer; the other senders block
// forever on the unbuffered channel.
func firstResult(replicas int) string {
	results := make(chan string)
	for i := 0; i < replicas; i++ {
		go func(r int) {
			results <- query(r)
		}(i)
	}
	return <-results
}

// startWorkers launches consumers of jobs; nobody closes jobs, so they leak.
func startWorkers(n int, jobs <-chan int) {
	for i := 0; i < n; i++ {
		go func() {
			for j := range jobs {
				_ = j * 2
			}
		}()
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: chan_leak TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	jobs := make(chan int)
	startWorkers(3, jobs)   // these exist before the trace starts
	_ = firstResult(3)      // two senders already leaked before tracing
	time.Sleep(10 * time.Millisecond)

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		jobs <- i
	}
	for i := 0; i < 5; i++ {
		_ = firstResult(4)
	}
	var never chan int
	go func() {
		<-never // nil channel: blocks forever
	}()
	time.Sleep(50 * time.Millisecond)
	trace.Stop()
}
