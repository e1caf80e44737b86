// Command tracegen writes a large execution trace from a deliberately busy
// program: channel pipelines, writers contending on a mutex around write(2)
// syscalls, and sleepers that allocate. It stops tracing once the trace
// file reaches the requested size.
//
// Usage: tracegen TRACE_FILE SIZE_MB
package main

import (
	"log"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"time"
)

func stage(in <-chan int, out chan<- int) {
	for v := range in {
		out <- v + 1
	}
	close(out)
}

func pipeline(stages int, quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	head := make(chan int)
	in := head
	for i := 0; i < stages; i++ {
		out := make(chan int)
		go stage(in, out)
		in = out
	}
	go func() {
		for range in {
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-quit:
			close(head)
			return
		case head <- i:
		}
		if i%paceEvery == 0 {
			time.Sleep(time.Millisecond) // pace the producers: about 10 MB of trace per second
		}
	}
}

func writer(mu *sync.Mutex, f *os.File, quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	buf := []byte("x\n")
	n := 0
	for {
		select {
		case <-quit:
			return
		default:
		}
		mu.Lock()
		f.Write(buf)
		mu.Unlock()
		if n++; n%paceEvery == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// paceEvery items, producers and writers sleep for a millisecond, so that the
// trace grows at roughly the rate of the busy service it stands for and the
// runtime's default one-second generations each hold ~10 MB.
const paceEvery = 5

var sink [][]byte

func sleeper(quit <-chan struct{}, wg *sync.WaitGroup, mu *sync.Mutex) {
	defer wg.Done()
	for {
		select {
		case <-quit:
			return
		default:
		}
		b := make([]byte, 4096)
		mu.Lock()
		sink = append(sink, b)
		if len(sink) > 256 {
			sink = sink[:0]
		}
		mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: tracegen TRACE_FILE SIZE_MB")
	}
	limitMB, err := strconv.Atoi(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		wg.Add(1)
		go pipeline(20, quit, &wg)
	}
	var wmu, smu sync.Mutex
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go writer(&wmu, devnull, quit, &wg)
	}
	for s := 0; s < 50; s++ {
		wg.Add(1)
		go sleeper(quit, &wg, &smu)
	}
	limit := int64(limitMB) << 20
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if st, err := f.Stat(); err == nil && st.Size() >= limit {
			break
		}
	}
	trace.Stop()
	close(quit)
	wg.Wait()
}
