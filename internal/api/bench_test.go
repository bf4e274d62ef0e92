package api_test

// Benchmarks of the hot read (GET /api/v1/me with a session cookie) and of
// login, against a real server on a loopback port, on SQLite and (when
// LIAISON_TEST_DATABASE_URL is set) PostgreSQL. The load driver runs in the
// same process as the server, so ns/op includes the client's own cost. See
// bench/README.md for the figures and for the wrk runs against the binary.
//
//	go test -run XXX -bench . -benchtime 5s ./internal/api/
//	LIAISON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test -run XXX -bench . ./internal/api/

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/server"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// benchEngines runs fn as a sub-benchmark per engine. Benchmarks do not run
// in CI, so PostgreSQL skips (never fails) without LIAISON_TEST_DATABASE_URL.
func benchEngines(b *testing.B, fn func(b *testing.B, e db.Dialect)) {
	for _, e := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			if e == db.Postgres && os.Getenv(testkit.PostgresURL) == "" {
				b.Skipf("PostgreSQL benchmark skipped: set %s=postgres://… to run it", testkit.PostgresURL)
			}
			fn(b, e)
		})
	}
}

// benchTransport is a keep-alive transport with room for every goroutine of
// a parallel benchmark. local, when not nil, is the source address of its
// connections.
func benchTransport(local net.Addr) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConns: 256, MaxIdleConnsPerHost: 256,
		IdleConnTimeout: time.Minute, DisableCompression: true}
}

// benchSessionCookie returns the session cookie of a logged-in client.
func benchSessionCookie(b *testing.B, s *testkit.Server, c *testkit.APIClient) *http.Cookie {
	b.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		b.Fatal(err)
	}
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == auth.CookieName {
			return &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	b.Fatalf("no %s cookie after sign-up", auth.CookieName)
	return nil
}

// BenchmarkMe measures GET /api/v1/me with a session cookie over keep-alive
// connections, from GOMAXPROCS×4 goroutines.
func BenchmarkMe(b *testing.B) {
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s := testkit.StartServer(b, e, testkit.ServerOptions{})
		c, _, _ := s.Signup(b, "Bench User", "bench@example.com", "Bench Agency", "agency")
		cookie := benchSessionCookie(b, s, c)
		hc := &http.Client{Transport: benchTransport(nil), Timeout: 30 * time.Second}
		defer hc.CloseIdleConnections()
		get := func() error {
			req, err := http.NewRequest(http.MethodGet, s.URL+"/api/v1/me", nil)
			if err != nil {
				return err
			}
			req.AddCookie(cookie)
			res, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("GET /api/v1/me: status %d", res.StatusCode)
			}
			return nil
		}
		if err := get(); err != nil { // warm the connection and the session row
			b.Fatal(err)
		}
		b.SetParallelism(4)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkLogin measures POST /api/v1/login with the production argon2id
// parameters (password.Default), so each login costs one full hash; the
// server runs at most NumCPU hashes at once. The limits stay on: logins go
// round-robin over benchUsers users (the per-e-mail limit resets after each
// success) and over source addresses 127.0.0.2…127.0.0.254, so no address
// comes near 50 logins per 15 minutes for any run shorter than about three
// minutes.
func BenchmarkLogin(b *testing.B) {
	const benchUsers = 16
	const firstIP, nIPs = 2, 253
	benchEngines(b, func(b *testing.B, e db.Dialect) {
		s := testkit.StartServer(b, e, testkit.ServerOptions{Options: server.Options{PasswordParams: &password.Default}})
		bodies := make([][]byte, benchUsers)
		for i := range bodies {
			email := fmt.Sprintf("login%d@example.com", i)
			s.Signup(b, fmt.Sprintf("User %d", i), email, fmt.Sprintf("Account %d", i), "client")
			bodies[i] = fmt.Appendf(nil, `{"email":%q,"password":%q}`, email, testkit.Password)
		}
		clients := make([]*http.Client, nIPs)
		for i := range clients {
			clients[i] = &http.Client{Timeout: time.Minute,
				Transport: benchTransport(&net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(firstIP+i))})}
		}
		defer func() {
			for _, c := range clients {
				c.CloseIdleConnections()
			}
		}()
		var next atomic.Uint64
		login := func() error {
			k := next.Add(1)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/api/v1/login",
				bytes.NewReader(bodies[k%benchUsers]))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := clients[k%nIPs].Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("POST /api/v1/login: status %d: %s", res.StatusCode, body)
			}
			return nil
		}
		// More goroutines than hash slots, so the semaphore is always busy.
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := login(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	})
}
