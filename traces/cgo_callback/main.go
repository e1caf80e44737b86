// Command cgo_callback calls into Go from threads created in C, so the
// trace contains goroutines born in a syscall (GoCreateSyscall).
//
// Usage: cgo_callback TRACE_FILE
package main

/*
#include <pthread.h>

extern void goCallback(int);

static void* worker(void* arg) {
	goCallback((int)(long)arg);
	return 0;
}

static void runThreads(int n) {
	pthread_t t[8];
	for (int i = 0; i < n && i < 8; i++) pthread_create(&t[i], 0, worker, (void*)(long)i);
	for (int i = 0; i < n && i < 8; i++) pthread_join(t[i], 0);
}
*/
import "C"

import (
	"log"
	"os"
	"runtime/trace"
	"sync/atomic"
	"time"
)

var calls atomic.Int64

//export goCallback
func goCallback(i C.int) {
	calls.Add(int64(i))
	time.Sleep(time.Millisecond)
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: cgo_callback TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		C.runThreads(4)
	}
	trace.Stop()
}
