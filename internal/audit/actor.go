package audit

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
)

// AppendAs appends e in tx as done by a (nil: by the system, a job): the
// actor, the agency user behind a Login As and the request's address are
// taken from a, so no caller copies them by hand.
func AppendAs(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, e Entry) error {
	_, err := Append(ctx, tx, now, As(a, e))
	return err
}

// As is e made by a (nil: the system): its user, the impersonator during
// Login As, and the request's IP. AppendAs uses it; an entry appended on
// several accounts is built with it once.
func As(a *authz.Actor, e Entry) Entry {
	if a != nil {
		e.ActorID, e.ImpersonatorID, e.IP = a.UserID, a.ImpersonatorID, a.IP
	}
	return e
}
