package main

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// servePprof serves Go's profiles (/debug/pprof/…: heap, profile, goroutine,
// allocs…) on LIAISON_PPROF_ADDR when it is set, for a profile under load
// (bench/README.md, issue 23). Off by default; it must be a loopback
// address, as the profiles are not behind any login.
func servePprof(log *slog.Logger) {
	addr := os.Getenv("LIAISON_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Error("LIAISON_PPROF_ADDR must be a loopback address and port (e.g. 127.0.0.1:6060): profiles not served", "addr", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		log.Info("profiles served", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			log.Error("profiles", "err", err)
		}
	}()
}
