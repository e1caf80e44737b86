// Command pool_gc allocates through a sync.Pool under GC pressure and
// forces a few collections, producing GC, STW, sweep and mark-assist events.
//
// Usage: pool_gc TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return make([]byte, 64<<10) }}

var sink [][]byte

func churn(rounds int) {
	for i := 0; i < rounds; i++ {
		b := bufPool.Get().([]byte)
		b[0] = byte(i)
		keep := make([]byte, 16<<10) // garbage that is not pooled
		sink = append(sink, keep)
		if len(sink) > 64 {
			sink = sink[:0]
		}
		bufPool.Put(b)
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: pool_gc TRACE_FILE")
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
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			churn(2000)
		}()
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	wg.Wait()
	trace.Stop()
}
