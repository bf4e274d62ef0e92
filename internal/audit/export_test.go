package audit

import (
	"context"

	"github.com/liaison-dev/liaison/internal/db"
)

// The tests live in package audit_test (testkit imports the server, which
// imports audit); these give them the internals they need.

const VerifyPage = verifyPage

// ForgeHash recomputes the hash that entry seq would have with its action
// replaced, as a forger who knows the scheme would.
func ForgeHash(ctx context.Context, q db.Querier, seq int64, action string) (string, error) {
	var r row
	if err := q.Get(ctx, &r, `SELECT `+columns+` FROM audit_events WHERE seq = ?`, seq); err != nil {
		return "", err
	}
	r.Action = action
	return r.computeHash(), nil
}
