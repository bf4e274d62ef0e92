package clientlist

import (
	"context"
	"log/slog"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// A reader never waits for a large backlog of due rows. After a change of
// an agency's thresholds or headline metrics, a bulk import, or a restart
// after the clock moved past many rows' validity, all of a 10,000-client
// agency's rows are due at once, and recomputing them takes seconds (issue
// 23 measured 11–15 s before any reader could answer). So a reader
// refreshes at most readerRows rows, a batch at a time; if rows are still
// due after that, one goroutine of the process finishes them behind (its
// batches commit one by one, so pages catch up as it goes) and the reader
// answers at once: the rows it shows get their status, score and last
// activity computed in memory from the same data (computeRows, exact), while
// the order, the filter and the counts are the stored ones until the
// refresh behind reaches them — seconds, the same trade as while the
// database takes no writes. A backlog of at most readerRows (the whole
// list of most agencies, and of every test but one) is refreshed before
// answering, as before.

// readerRows is how many due rows a reader recomputes before handing the
// rest to the refresh behind (Service.readerRows; tests set 1 or 500), in
// batches of readerBatchSize. A count of rows, not a time budget, so that
// what a reader sees never depends on the machine's speed. A reader's row
// costs about 0.5 ms on SQLite (a rebuilt row is written whole): with 500,
// the first page after a restart with a backlog took 250–300 ms on a quiet
// machine, against the 300 ms of issue 23; 200 keeps it near 100 ms
// (bench/README.md).
const (
	readerRows      = 200
	readerBatchSize = 100
)

// refreshShared refreshes the agency's due rows for a reader and reports
// whether rows are left to the refresh behind. In a large agency some row
// falls due every second or two, and every request in flight then saw it
// due and ran a write transaction of its own, queueing on the first one's
// row locks (tens of milliseconds at the tail under load, seen in
// PostgreSQL's log). So the readers of one agency in this process share one
// refresh, made at the first one's now; page() refreshes again at its own
// now in the rare case rows fell due in between. While a refresh behind
// runs, readers do not refresh at all.
func (s *Service) refreshShared(ctx context.Context, agencyID string, now time.Time) (behind bool, err error) {
	if _, running := s.behind.Load(agencyID); running {
		return true, nil
	}
	v, err, _ := s.refreshes.Do(agencyID, func() (any, error) {
		// The refresh serves every reader waiting on it: one of them
		// going away must not fail the others.
		return s.refreshForReader(context.WithoutCancel(ctx), agencyID, now)
	})
	left, _ := v.(bool)
	return left, err
}

// refreshForReader recomputes up to readerRows due rows and hands any
// rest to the refresh behind; it reports whether rows were left.
func (s *Service) refreshForReader(ctx context.Context, agencyID string, now time.Time) (behind bool, err error) {
	left, err := s.refreshUntil(ctx, agencyID, now, s.readerRows, readerBatchSize)
	if left {
		s.refreshBehind(agencyID)
	}
	return left, err
}

// refreshBehind finishes the agency's due rows in a goroutine, one per
// agency and process.
func (s *Service) refreshBehind(agencyID string) {
	done := make(chan struct{})
	if _, running := s.behind.LoadOrStore(agencyID, done); running {
		return
	}
	s.behindWG.Add(1)
	go func() {
		defer s.behindWG.Done()
		defer s.endWhole(agencyID, done)
		if s.holdBehind != nil {
			<-s.holdBehind
		}
		start := time.Now()
		if err := s.refreshAll(s.behindCtx, agencyID, s.now()); err != nil {
			if s.behindCtx.Err() != nil {
				return // stopped (StopBehind): the batches done are committed, the rest stays due
			}
			slog.Warn("client list: refresh behind the readers failed; the next reader retries", "agency", agencyID, "err", err)
			return
		}
		slog.Debug("client list: refresh behind the readers done", "agency", agencyID, "took", time.Since(start))
	}()
}

// refreshWhole recomputes every due row of the agency at now for a caller
// that needs them all stored (the weekly digest), as a refresh behind the
// readers: while it runs, readers of the agency do not refresh but compute
// their page's rows in memory. Otherwise, on SQLite, a reader's batches
// queued for the one writer behind each of its 500-row batches: the digest
// job runs at start, and the first page of a 10,000-client agency after a
// start took 1.0–1.2 s (bench/README.md). A refresh behind that runs
// already is waited for first.
func (s *Service) refreshWhole(ctx context.Context, agencyID string, now time.Time) error {
	done := make(chan struct{})
	for {
		other, running := s.behind.LoadOrStore(agencyID, done)
		if !running {
			break
		}
		select {
		case <-other.(chan struct{}):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer s.endWhole(agencyID, done)
	if s.holdBehind != nil {
		<-s.holdBehind
	}
	return s.refreshAll(ctx, agencyID, now)
}

// refreshAll recomputes every due row of the agency, the first pass at now.
// Rows marked due again behind a pass's cursor (a change of thresholds
// during it) would wait for the next reader: a few passes more take them,
// while any is due.
func (s *Service) refreshAll(ctx context.Context, agencyID string, now time.Time) error {
	for pass := 0; pass < 3; pass++ {
		if pass > 0 {
			now = s.now()
			var earliest db.Time
			if err := s.read.Get(ctx, &earliest, `SELECT MIN(valid_until) FROM client_list_due WHERE agency_id = ?`, agencyID); err != nil || !IsDue(earliest, now) {
				return err
			}
		}
		if err := s.RefreshDue(ctx, agencyID, now); err != nil {
			return err
		}
	}
	return nil
}

// endWhole ends a refresh of every due row that refreshBehind or
// refreshWhole registered for the agency, and wakes whoever waits for it.
func (s *Service) endWhole(agencyID string, done chan struct{}) {
	s.behind.Delete(agencyID)
	close(done)
}

// WaitBehind waits for the refreshes running behind the readers (a test
// that reads what they wrote).
func (s *Service) WaitBehind() { s.behindWG.Wait() }

// StopBehind stops the refreshes running behind the readers after their
// current batch, and waits for them (a shutdown): what they did not reach
// stays due for the next reader.
func (s *Service) StopBehind() {
	s.stopBehind()
	s.behindWG.Wait()
}

// Refresh refreshes the agency's due rows for a reader of one client (the
// detail, its health) and reports whether the refresh was left behind, in
// which case the caller computes that client's values itself (Compute).
func (s *Service) Refresh(ctx context.Context, agencyID string) (behind bool, err error) {
	return s.refreshShared(ctx, agencyID, s.now())
}
