package client

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// NewFor is how long after its first user joined a client counts as new:
// its health score has no history to stand on yet (frequency compares with
// the months before), so the pages show the score with a neutral "New"
// instead of a band (issue 18). The API's band is SPEC §5's, unchanged.
const NewFor = 30 * 24 * time.Hour

// NewClients says which of the clients, taken from a list or a detail the
// caller read through a checked scope, had their first user join less than
// NewFor ago.
func (s *Service) NewClients(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := db.In(`SELECT account_id FROM memberships WHERE account_id IN (?)
		GROUP BY account_id HAVING MIN(created_at) > ?`, ids, s.now().Add(-NewFor))
	if err != nil {
		return nil, err
	}
	var rows []string
	if err := s.read.Select(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, id := range rows {
		out[id] = true
	}
	return out, nil
}
