// Command prof_cases writes every pprof profile kind golens reads — goroutineleak, goroutine,
// mutex, block, and a CPU profile golens does not use — plus an execution trace, for a program
// that leaks senders, piles goroutines up at a gate and holds a mutex across slow work.
//
// With -fixed the same lines run with the leak and the contention fixed (a buffered result
// channel, no work under the lock): the "after" half of a before/after pair.
//
// Usage: prof_cases [-fixed] OUTDIR
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

var fixed = flag.Bool("fixed", false, "run the fixed variant")

// lookup answers within the deadline or gives up; the sender it started must still be able to
// deliver its answer after the caller has gone, or it blocks forever.
func lookup(deadline time.Duration, capacity int) int {
	result := make(chan int, capacity)
	go func() {
		time.Sleep(2 * time.Millisecond)
		result <- 42
	}()
	select {
	case v := <-result:
		return v
	case <-time.After(deadline):
		return -1
	}
}

type counter struct {
	mu   sync.Mutex
	n    int
	hold time.Duration
}

func (c *counter) add() {
	c.mu.Lock()
	busy(c.hold)
	c.n++
	c.mu.Unlock()
}

// busy spins rather than sleeps so the lock is held on CPU, as slow work under a lock is.
func busy(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

func contend(c *counter, workers, rounds int) {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < rounds; j++ {
				c.add()
			}
		}()
	}
	wg.Wait()
}

// pileUp parks n goroutines at one receive until gate closes: a goroutine profile sees them all
// at one line, but main still holds the gate, so they are not leaked.
func pileUp(n int, gate chan struct{}, done *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			<-gate
		}()
	}
}

func write(dir, name string) {
	profile := pprof.Lookup(name)
	if profile == nil {
		return // goroutineleak before Go 1.26
	}
	f, err := os.Create(filepath.Join(dir, name+".pb.gz"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := profile.WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
}

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		log.Fatal("usage: prof_cases [-fixed] OUTDIR")
	}
	dir := flag.Arg(0)
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	cpu, err := os.Create(filepath.Join(dir, "cpu.pb.gz"))
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		log.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(dir, "trace.out"))
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(tf); err != nil {
		log.Fatal(err)
	}

	capacity, hold := 0, 300*time.Microsecond
	if *fixed {
		capacity, hold = 1, 0
	}
	for i := 0; i < 20; i++ {
		lookup(time.Millisecond, capacity)
	}
	contend(&counter{hold: hold}, 4, 50)
	gate := make(chan struct{})
	var parked sync.WaitGroup
	pileUp(50, gate, &parked)
	time.Sleep(20 * time.Millisecond)

	trace.Stop()
	tf.Close()
	pprof.StopCPUProfile()
	cpu.Close()
	for _, name := range []string{"goroutineleak", "goroutine", "mutex", "block"} {
		write(dir, name)
	}
	close(gate)
	parked.Wait()
}
