package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/metrics"
)

// metricsLease is how long the process that last exported the
// database-wide gauges keeps that role without a scrape. Prometheus scrapes
// every replica every 15–60s, so the holder keeps it while it lives, and
// another takes over a minute after it dies.
const metricsLease = 2 * time.Minute

// leaseHolder takes and renews a named lease in the leases table: one
// process at a time holds it, whatever the number sharing the database.
type leaseHolder struct {
	d   *db.DB
	now clock.Clock
	me  string
}

func newLeaseHolder(d *db.DB, now clock.Clock) *leaseHolder {
	host, _ := os.Hostname()
	return &leaseHolder{d: d, now: now, me: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), strings.TrimPrefix(id.New("p"), "p_")[:8])}
}

// hold takes or renews the lease: true when this process holds it. The
// upsert's WHERE lets it through only when the lease is this process's or
// has run out, in one statement on both engines.
func (l *leaseHolder) hold(ctx context.Context, name string, ttl time.Duration) bool {
	now := l.now().UTC()
	res, err := l.d.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < ?`, name, l.me, now.Add(ttl), now)
	if err != nil {
		return false
	}
	n, err := res.RowsAffected()
	return err == nil && n == 1
}

// metricsHandler serves /metrics: behind LIAISON_METRICS_TOKEN when set.
// The gauges that count database-wide rows (jobs, outbox, oldest queued
// e-mail) are exported by the holder of the "metrics" lease only, so a sum
// across replicas counts each row once; liaison_metrics_leader says which
// process it is.
func (app *App) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})
	want := []byte("Bearer " + app.Config.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if app.Config.MetricsToken != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token of LIAISON_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		app.databaseGauges(r.Context())
		h.ServeHTTP(w, r)
	})
}

func (app *App) databaseGauges(ctx context.Context) {
	if !app.leader.hold(ctx, "metrics", metricsLease) {
		metrics.MetricsLeader.Set(0)
		metrics.JobsQueued.Reset()
		metrics.MailQueue.Reset()
		metrics.MailOldestQueued.Reset()
		return
	}
	metrics.MetricsLeader.Set(1)
	if stats, err := app.Jobs.Stats(ctx); err == nil {
		for status, n := range stats {
			metrics.JobsQueued.WithLabelValues(status).Set(float64(n))
		}
	}
	if stats, err := app.Mailer.Stats(ctx); err == nil {
		for status, n := range stats {
			metrics.MailQueue.WithLabelValues(status).Set(float64(n))
		}
	}
	if age, err := app.Mailer.OldestQueuedAge(ctx); err == nil {
		metrics.MailOldestQueued.WithLabelValues().Set(age.Seconds())
	}
}

// serveMetrics serves /metrics on LIAISON_METRICS_ADDR, when set, until the
// returned stop is called; a failure to listen is returned at once, one
// while serving goes to errc.
func (app *App) serveMetrics(errc chan<- error) (stop func(), err error) {
	if app.Config.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", app.Config.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("LIAISON_METRICS_ADDR: cannot listen on %s: %w", app.Config.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", app.metricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case errc <- err:
			default:
			}
		}
	}()
	app.Log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// withMetrics serves GET /metrics ahead of the middleware, unless it has an
// address of its own: its bearer token is LIAISON_METRICS_TOKEN's, not an
// API token the authentication middleware would refuse, and a scrape is no
// visitor request (no session, no access log line per scrape).
func (app *App) withMetrics(next http.Handler) http.Handler {
	if app.Config.MetricsAddr != "" {
		return next
	}
	m := app.metricsHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			m.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
