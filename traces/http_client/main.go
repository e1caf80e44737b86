// Command http_client calls an HTTP server (in the same process, on the loopback interface)
// sequentially from one goroutine. Each call waits in net/http's round trip until the
// transport's own goroutines hand it the response: latency of a dependency, not contention
// between the program's goroutines.
//
// Usage: http_client TRACE_FILE
package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/trace"
	"time"
)

func handle(w http.ResponseWriter, r *http.Request) {
	time.Sleep(2 * time.Millisecond) // the dependency's own work
	io.WriteString(w, "ok")
}

func fetch(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: http_client TRACE_FILE")
	}
	srv := httptest.NewServer(http.HandlerFunc(handle))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}

	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		if err := fetch(client, srv.URL); err != nil {
			log.Fatal(err)
		}
	}
	trace.Stop()
}
