// Command sync_contention shows goroutines blocking on sync primitives:
// a hot Mutex, an RWMutex with a slow writer, a Cond, and a WaitGroup.
//
// Usage: sync_contention TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() {
	c.mu.Lock()
	time.Sleep(100 * time.Microsecond) // work done while holding the lock
	c.n++
	c.mu.Unlock()
}

type config struct {
	mu   sync.RWMutex
	data map[string]string
}

func (c *config) get(k string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.data[k]
}

func (c *config) reload() {
	c.mu.Lock()
	time.Sleep(2 * time.Millisecond)
	c.data["k"] = "v"
	c.mu.Unlock()
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: sync_contention TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}

	var wg sync.WaitGroup
	c := &counter{}
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				c.add()
			}
		}()
	}

	cfg := &config{data: map[string]string{}}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				_ = cfg.get("k")
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := 0; j < 5; j++ {
			cfg.reload()
			time.Sleep(time.Millisecond)
		}
	}()

	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			for !ready {
				cond.Wait()
			}
			mu.Unlock()
		}()
	}
	time.Sleep(5 * time.Millisecond)
	mu.Lock()
	ready = true
	cond.Broadcast()
	mu.Unlock()

	wg.Wait()
	trace.Stop()
}
