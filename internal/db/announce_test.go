package db_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestAnnounceWaitsForEachListener: a writer's announcement (authgen.go)
// returns only once each listener it found has acknowledged it, whatever
// other acknowledgements arrive: here a listening process that acknowledges
// every announcement twice, and one that listens under another name (as a
// listener that connected after the writer looked stands for), while a
// third, slow, acknowledges 400 ms late. Counting acknowledgements, the
// writer returned when the duplicates made up the count, before the slow
// process had moved on. A fourth, a listener of another schema (another
// installation sharing the database) that never answers, is not waited
// for: the writer waited two seconds for it before its schema named its
// listeners.
func TestAnnounceWaitsForEachListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testkit.PostgresSchema(t)
	d := openMigrated(t, url)
	// listener is a process's listening connection that acknowledges each
	// announcement times times after delay.
	own := "@" + db.SchemaName(d)
	var slowAcked atomic.Int64 // when the slow listener began to acknowledge, in ns
	listener := func(name string, times int, delay time.Duration) {
		t.Helper()
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = name
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `LISTEN liaison_auth`); err != nil {
			t.Fatal(err)
		}
		// A connection is one goroutine's: closed once its goroutine
		// has stopped (closing it under a WaitForNotification that the
		// cancellation was ending panicked inside pgx).
		done := make(chan struct{})
		t.Cleanup(func() {
			cancel()
			<-done
			c.Close(context.Background())
		})
		go func() {
			defer close(done)
			for {
				n, err := c.WaitForNotification(ctx)
				if err != nil {
					return
				}
				// Like a real listener (heard), it answers only its own
				// schema's announcements: the other tests of the database
				// announce theirs on the same channel, and a slow listener
				// that slept on each of them answered this one's writer
				// seconds late (CI, and a loop of psql notifications here).
				if !strings.HasPrefix(n.Payload, "list:") || !strings.HasSuffix(n.Payload, own) {
					continue
				}
				time.Sleep(delay)
				if delay > 0 {
					slowAcked.Store(time.Now().UnixNano())
				}
				for i := 0; i < times; i++ {
					if _, err := c.Exec(ctx, `SELECT pg_notify('liaison_auth_ack', $1)`, n.Payload); err != nil {
						return
					}
				}
			}
		}()
	}
	listener(db.ListenerName(d), 2, 0)
	listener("liaison-late-listener", 1, 0)
	listener(db.ListenerName(d), 1, 400*time.Millisecond)
	listener(db.ListenerNameIn("another_installation"), 0, 0)
	for round := 0; round < 2; round++ {
		slowAcked.Store(0)
		start := time.Now()
		db.Announce(ctx, d)
		returned := time.Now()
		if slowAcked.Load() == 0 || returned.UnixNano() < slowAcked.Load() {
			t.Fatalf("round %d: the writer returned after %v, before the slow listener acknowledged", round, returned.Sub(start))
		}
		if returned.Sub(start) > 1500*time.Millisecond {
			t.Errorf("round %d: the writer waited %v: an acknowledgement was not matched", round, returned.Sub(start))
		}
	}
}

// TestAnnounceForgetsAListenerThatLeft: a listening process found by the
// writer that goes away before it answers (it stopped, or lost its
// connection) is not waited for to the deadline: the writer looks again
// and returns soon after it left. It waited the full two seconds before.
func TestAnnounceForgetsAListenerThatLeft(t *testing.T) {
	ctx := context.Background()
	url := testkit.PostgresSchema(t)
	d := openMigrated(t, url)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = db.ListenerName(d)
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `LISTEN liaison_auth`); err != nil {
		t.Fatal(err)
	}
	// The listener hears the announcement, never answers, and leaves.
	go func() {
		defer c.Close(context.Background())
		own := "@" + db.SchemaName(d)
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				return
			}
			if strings.HasPrefix(n.Payload, "list:") && strings.HasSuffix(n.Payload, own) {
				time.Sleep(200 * time.Millisecond)
				return
			}
		}
	}()
	start := time.Now()
	db.Announce(ctx, d)
	took := time.Since(start)
	t.Logf("the writer returned after %v", took)
	if took > 1500*time.Millisecond {
		t.Fatalf("the writer waited %v for a listener that had left", took)
	}
}

// openMigrated opens url, migrated, for the test.
func openMigrated(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}
