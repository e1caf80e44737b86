//go:build go1.25

// Command flight_recorder keeps a runtime/trace.FlightRecorder running and
// snapshots it after a worker pool stalls on a lock (Go 1.25+).
//
// Usage: flight_recorder TRACE_FILE
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
		log.Fatal("usage: flight_recorder TRACE_FILE")
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 50 * time.Millisecond})
	if err := fr.Start(); err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				mu.Lock()
				time.Sleep(500 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if _, err := fr.WriteTo(f); err != nil {
		log.Fatal(err)
	}
	fr.Stop()
}
