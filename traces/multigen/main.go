// Command multigen runs long enough, with a short generation period set by
// the caller (GODEBUG=traceadvanceperiod), to span many trace generations,
// including goroutines blocked across all of them.
//
// Usage: multigen TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: multigen TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	stuck := make(chan int)
	go func() { <-stuck }() // blocked for the whole trace
	time.Sleep(10 * time.Millisecond)

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				mu.Lock()
				total++
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	trace.Stop()
}
