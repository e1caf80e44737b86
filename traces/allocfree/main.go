//go:build go1.23

// Command allocfree is traced with GODEBUG=traceallocfree=1 (set by
// regenerate.py), so the trace carries the alloc/free experiment's events
// (ids 128-136) inside ordinary batches, plus experimental batches.
//
// Usage: allocfree TRACE_FILE
package main

import (
	"log"
	"os"
	"runtime"
	"runtime/trace"
)

type node struct {
	next *node
	data [48]byte
}

func build(n int) *node {
	var head *node
	for i := 0; i < n; i++ {
		head = &node{next: head}
	}
	return head
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: allocfree TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	done := make(chan *node)
	go func() { done <- build(2000) }()
	list := <-done
	_ = list
	runtime.GC()
	trace.Stop()
}
