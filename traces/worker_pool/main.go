// Command worker_pool shows two things a request-serving program often does wrong at once:
// workers that hold a mutex across a sleep (every other worker queues on the lock), and a
// `go` statement whose goroutines sometimes return early and otherwise block forever on a send
// nobody receives — so some of them end and the rest leak, started at different times.
//
// Usage: worker_pool TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

type store struct {
	mu    sync.Mutex
	items int
}

func (s *store) put() {
	s.mu.Lock()
	time.Sleep(time.Millisecond) // a slow write done while holding the lock
	s.items++
	s.mu.Unlock()
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: worker_pool TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}

	s := &store{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				s.put()
			}
		}()
	}

	results := make(chan int)
	for i := 0; i < 40; i++ {
		go func(i int) {
			if i%4 == 0 {
				return // nothing to report: this one ends
			}
			results <- i // nobody ever receives: blocked until the process exits
		}(i)
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	trace.Stop()
}
