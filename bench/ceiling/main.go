// Command ceiling is the machine's ceiling for the load runs: a plain
// net/http server answering every request with one fixed body of a given
// size, as fast as Go's HTTP server goes on this machine. Liaison's
// figures in bench/README.md are ratios to it, measured in the same run
// with the same wrk settings, so that the machine's speed (and, on a shared
// machine, its load) cancels out.
//
//	go run ./bench/ceiling -addr 127.0.0.1:18099 -size 21000
//	wrk -t2 -c8 -d15s http://127.0.0.1:18099/
//
// -size is the body's length in bytes: give the size of the Liaison answer
// it stands for (curl -s … | wc -c). The body is JSON-looking text, sent
// with Content-Type application/json and a Content-Length, as Liaison
// sends its answers.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18099", "listen address")
	size := flag.Int("size", 2048, "body size in bytes")
	flag.Parse()
	if *size < 2 {
		fmt.Fprintln(os.Stderr, "ceiling: -size must be at least 2")
		os.Exit(2)
	}
	body := make([]byte, *size)
	body[0], body[len(body)-1] = '[', ']'
	for i := 1; i < len(body)-1; i++ {
		body[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i%36]
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("ceiling: %d-byte body on http://%s/", len(body), *addr)
	log.Fatal(srv.ListenAndServe())
}
