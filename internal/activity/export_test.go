package activity

import (
	"context"
	"log/slog"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
)

// NewWithQueue is New with a page-view queue of size events, so tests can
// fill it.
func NewWithQueue(d *db.DB, now clock.Clock, log *slog.Logger, size int) *Service {
	return &Service{db: d, now: now, rec: newRecorder(d, log, size)}
}

// SetWriteContext makes the recorder write with ctx (tests make its
// transactions fail with db.WithBeforeCommit).
func SetWriteContext(s *Service, ctx context.Context) { s.rec.ctx = ctx }
