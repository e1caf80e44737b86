// Command handler_leak is golens's bundled example. It serves a few
// requests on a loopback server whose handler starts background work that
// outlives the request, then records an execution trace of it.
//
// Usage: handler_leak TRACE_FILE
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/trace"
	"time"
)

type auditEntry struct {
	path string
	at   time.Time
}

// auditLog is unbuffered and nothing ever receives from it.
var auditLog = make(chan auditEntry)

func handleReport(w http.ResponseWriter, r *http.Request) {
	// Leak 1: the refresher ignores r.Context() and never returns.
	go refreshCache(r.URL.Path)

	// Leak 2: blocking send on a channel nobody receives from.
	go func() {
		auditLog <- auditEntry{path: r.URL.Path, at: time.Now()}
	}()

	// Leak 3: a polling loop that sleeps forever instead of watching ctx.Done().
	go pollUpstream(r.URL.Query().Get("id"))

	fmt.Fprintln(w, "report queued")
}

func refreshCache(key string) {
	ticker := time.NewTicker(20 * time.Millisecond) // never stopped
	for range ticker.C {
		_ = len(key)
	}
}

func pollUpstream(id string) {
	for {
		time.Sleep(15 * time.Millisecond)
		_ = len(id)
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: handler_leak TRACE_FILE")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/report", handleReport)
	srv := httptest.NewServer(mux)

	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		resp, err := http.Get(fmt.Sprintf("%s/report?id=%d", srv.URL, i))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(40 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	trace.Stop()
}
