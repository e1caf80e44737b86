// Command annotations uses runtime/trace user annotations: nested tasks,
// regions (including one still open at trace end) and logs.
//
// Usage: annotations TRACE_FILE
package main

import (
	"context"
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func handleOrder(ctx context.Context, id int) {
	ctx, task := trace.NewTask(ctx, "order")
	defer task.End()
	trace.Logf(ctx, "order", "id=%d", id)

	trace.WithRegion(ctx, "validate", func() {
		time.Sleep(500 * time.Microsecond)
	})
	_, sub := trace.NewTask(ctx, "charge")
	r := trace.StartRegion(ctx, "payment")
	time.Sleep(time.Millisecond)
	r.End()
	sub.End()
	trace.Log(ctx, "status", "done")
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: annotations TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	ctx, early := trace.NewTask(context.Background(), "started-before-trace")
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			handleOrder(context.Background(), i)
		}(i)
	}
	wg.Wait()
	early.End()
	trace.Log(ctx, "", "background log")
	_ = trace.StartRegion(context.Background(), "never-ended")
	trace.Stop()
}
