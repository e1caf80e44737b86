// Command pprof_download records its trace the way a production service
// is usually traced: by downloading /debug/pprof/trace from net/http/pprof
// (here on a loopback server) while goroutines contend on a mutex.
//
// Usage: pprof_download TRACE_FILE
package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

type inventory struct {
	mu    sync.Mutex
	items map[string]int
}

func (inv *inventory) reserve(name string) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	time.Sleep(200 * time.Microsecond) // slow work under the lock
	inv.items[name]--
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: pprof_download TRACE_FILE")
	}
	srv := httptest.NewServer(http.DefaultServeMux)
	defer srv.Close()

	inv := &inventory{items: map[string]int{"widget": 1 << 20}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					inv.reserve("widget")
				}
			}
		}()
	}

	resp, err := http.Get(srv.URL + "/debug/pprof/trace?seconds=0.3")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		log.Fatal(err)
	}
	close(stop)
	wg.Wait()
}
