package activity

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// recorder writes page views in batches: PageView hands its event over and
// returns, and one goroutine writes whatever has queued up meanwhile in one
// transaction. Recording then costs a channel send rather than a write
// transaction behind the other writers (issue 6: under 1 ms at p99 under
// load; measured in bench/README.md), and under load the writes batch
// themselves, with no timer: a batch is what arrived while the previous one
// was being written.
//
// A view that was answered 204 is written: a batch that fails because the
// database cannot take it now (unreachable, a full disk, read-only:
// errs.ErrDatabaseUnavailable) is tried again with backoff until it is
// written, however long that takes, while the queue holds what arrives
// meanwhile. The queue is bounded: when it is full, PageView answers 503
// with Retry-After (errQueueFull) rather than accept a view it may not
// keep. An event the database refuses for itself (its client deleted
// meanwhile) is dropped with a warning, alone. A crash (SIGKILL, power)
// loses the views this process acknowledged and had not committed: what
// is queued and the batch being written, at most queueSize + maxBatch
// (the fault suite, internal/ops/faults, holds every kill to that bound:
// faults.MaxLostViews); Close writes what is queued before the server
// stops (giving up, and saying how many it lost, only when the database
// stays unavailable for closeGrace), and Flush lets a reader (tests) see
// every view recorded so far.
type recorder struct {
	db  *db.DB
	log *slog.Logger
	ch  chan Event
	// ctx is the context of the writes (tests make them fail with
	// db.WithBeforeCommit).
	ctx context.Context

	flush  chan chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	stopAt atomic.Int64 // unix nanoseconds of Close, 0 before
}

const (
	queueSize  = 4096
	maxBatch   = 512
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	closeGrace = 10 * time.Second
)

// errQueueFull answers a page view that the queue has no room for.
var errQueueFull = &errs.Error{Kind: errs.Unavailable, Code: "activity_queue_full",
	Message: "Too many page views are waiting to be written. Send this one again shortly.", RetryAfter: 2}

func newRecorder(d *db.DB, log *slog.Logger, size int) *recorder {
	r := &recorder{db: d, log: log, ch: make(chan Event, size), flush: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), ctx: context.Background()}
	go r.loop()
	return r
}

// add queues an event. With the queue full it refuses it (503, Retry-After);
// once the recorder is closed it writes it at once in a transaction of its
// own.
func (r *recorder) add(ctx context.Context, e Event) error {
	select {
	case <-r.stop:
		return r.db.InTx(ctx, func(tx *db.Tx) error { return Record(ctx, tx, e) })
	default:
	}
	select {
	case r.ch <- e:
		return nil
	default:
		return errQueueFull
	}
}

func (r *recorder) loop() {
	defer close(r.done)
	for {
		select {
		case e := <-r.ch:
			r.write(append([]Event{e}, r.drain(maxBatch-1)...))
		case ack := <-r.flush:
			r.writeAll()
			close(ack)
		case <-r.stop:
			r.writeAll()
			return
		}
	}
}

// drain takes up to n queued events without waiting.
func (r *recorder) drain(n int) []Event {
	var out []Event
	for len(out) < n {
		select {
		case e := <-r.ch:
			out = append(out, e)
		default:
			return out
		}
	}
	return out
}

func (r *recorder) writeAll() {
	for {
		b := r.drain(maxBatch)
		if len(b) == 0 {
			return
		}
		r.write(b)
	}
}

// transient reports whether a write may succeed if tried again as it is.
func transient(err error) bool { return errors.Is(err, errs.ErrDatabaseUnavailable) }

// write records a batch, waiting out a database that cannot take it now:
// what failed for that reason is tried again, with backoff, until written.
func (r *recorder) write(batch []Event) {
	wait, failing := minBackoff, 0
	for {
		batch = r.try(batch)
		if len(batch) == 0 {
			if failing > 0 {
				r.log.Info("activity: page views written again", "after_attempts", failing+1)
			}
			return
		}
		failing++
		if at := r.stopAt.Load(); at != 0 && time.Since(time.Unix(0, at)) > closeGrace {
			r.log.Error("activity: page views lost: the database stayed unavailable while stopping", "events", len(batch))
			return
		}
		time.Sleep(wait)
		wait = min(2*wait, maxBackoff)
	}
}

// try writes a batch in one transaction and returns what is left to write.
// On a transient failure that is the whole batch; on another, each event
// is tried on its own, so one bad event (its client deleted meanwhile) does
// not take the others with it, and only it is dropped.
func (r *recorder) try(batch []Event) []Event {
	ctx := r.ctx
	err := r.db.InTx(ctx, func(tx *db.Tx) error { return recordAll(ctx, tx, batch) })
	if err == nil {
		return nil
	}
	if transient(err) {
		r.log.Warn("activity: page views not written yet, will retry", "events", len(batch), "err", err)
		return batch
	}
	var again []Event
	for _, e := range batch {
		err := r.db.InTx(ctx, func(tx *db.Tx) error { return Record(ctx, tx, e) })
		switch {
		case err == nil:
		case transient(err):
			again = append(again, e)
		default:
			r.log.Warn("activity: page view not recorded", "client", e.ClientID, "err", err)
		}
	}
	return again
}

// Flush returns once every event queued before it is written.
func (r *recorder) Flush(ctx context.Context) {
	ack := make(chan struct{})
	select {
	case r.flush <- ack:
		select {
		case <-ack:
		case <-ctx.Done():
		}
	case <-r.done:
	case <-ctx.Done():
	}
}

// Close writes what is queued and stops the recorder.
func (r *recorder) Close() {
	r.once.Do(func() {
		r.stopAt.Store(time.Now().UnixNano())
		close(r.stop)
	})
	<-r.done
}
