// Command println_loop writes with fmt.Println in a tight loop from several
// goroutines: every call is an unbuffered write syscall.
//
// Usage: println_loop TRACE_FILE
package main

import (
	"fmt"
	"log"
	"os"
	"runtime/trace"
	"sync"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: println_loop TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	out, err := os.Create(os.DevNull)
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout = out

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				fmt.Println("worker", w, "line", i)
			}
		}(w)
	}
	wg.Wait()
	trace.Stop()
}
