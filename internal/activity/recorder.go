package activity

import (
	"context"
	"log/slog"
	"sync"

	"github.com/liaison-dev/liaison/internal/db"
)

// recorder writes page views in batches: PageView hands its event over and
// returns, and one goroutine writes whatever has queued up meanwhile in one
// transaction. Recording then costs a channel send rather than a write
// transaction behind the other writers (issue 6: under 1 ms at p99 under
// load; measured in bench/README.md), and under load the writes batch
// themselves, with no timer: a batch is what arrived while the previous one
// was being written.
//
// Page views are analytics, not changes (logins, which are, stay in their
// own transaction): a crash loses at most the batch being written. Close
// writes what is queued before the server stops, and Flush lets a reader
// (tests) see every view recorded so far. A full queue falls back to a
// transaction of the caller's own, so nothing is dropped under overload.
type recorder struct {
	db  *db.DB
	log *slog.Logger
	ch  chan Event

	flush chan chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

const (
	queueSize = 4096
	maxBatch  = 512
)

func newRecorder(d *db.DB, log *slog.Logger) *recorder {
	r := &recorder{db: d, log: log, ch: make(chan Event, queueSize), flush: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// add queues an event; with the queue full (or the recorder closed) it is
// written at once in a transaction of its own.
func (r *recorder) add(ctx context.Context, e Event) error {
	select {
	case <-r.stop:
	default:
		select {
		case r.ch <- e:
			return nil
		default:
		}
	}
	return r.db.InTx(ctx, func(tx *db.Tx) error { return Record(ctx, tx, e) })
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

// write records a batch in one transaction; on failure each event is tried
// on its own, so one bad event (its client deleted meanwhile) does not take
// the others with it.
func (r *recorder) write(batch []Event) {
	ctx := context.Background()
	err := r.db.InTx(ctx, func(tx *db.Tx) error { return recordAll(ctx, tx, batch) })
	if err == nil {
		return
	}
	for _, e := range batch {
		if err := r.db.InTx(ctx, func(tx *db.Tx) error { return Record(ctx, tx, e) }); err != nil {
			r.log.Warn("activity: page view not recorded", "client", e.ClientID, "err", err)
		}
	}
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
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
