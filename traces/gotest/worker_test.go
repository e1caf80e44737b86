// Package gotest is traced through `go test -trace`: the test starts a
// worker pool, and one worker leaks on a result channel nobody drains.
package gotest

import (
	"sync"
	"testing"
	"time"
)

func process(jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		time.Sleep(100 * time.Microsecond)
		results <- j * j
	}
}

func TestWorkerPool(t *testing.T) {
	jobs := make(chan int)
	results := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go process(jobs, results, &wg)
	}
	go func() {
		for i := 0; i < 40; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	sum := 0
	for i := 0; i < 39; i++ { // one result is never received: its worker leaks
		sum += <-results
	}
	if sum == 0 {
		t.Fatal("no results")
	}
}
