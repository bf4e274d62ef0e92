package audit

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/liaison-dev/liaison/internal/db"
)

// Break is the first entry at which the chain does not hold.
type Break struct {
	Seq    int64  // the sequence number where the chain breaks
	ID     string // the entry found there, "" when it is missing
	Reason string
}

func (b *Break) String() string {
	if b.ID == "" {
		return fmt.Sprintf("entry %d: %s", b.Seq, b.Reason)
	}
	return fmt.Sprintf("entry %d (%s): %s", b.Seq, b.ID, b.Reason)
}

// verifyPage is how many rows Verify holds at once: the log may be far larger
// than memory should be.
const verifyPage = 500

// Verify walks the whole chain in sequence order and reports the first entry
// that was edited (its hash no longer matches its contents), deleted (a gap
// in the sequence, or a prev_hash that is not the hash before it), reordered
// or replaced, and a head that disagrees with the last entry (a deleted
// tail). checked counts the entries that passed before any break. err is
// only for failures to read; a broken chain is brk, not err.
//
// Appends that commit while Verify runs are fine: it checks the chain up to
// the head it read first, whose entries had all committed by then.
func Verify(ctx context.Context, q db.Querier) (checked int, brk *Break, err error) {
	h, err := readHead(ctx, q)
	if err != nil {
		return 0, nil, err
	}
	var prev row // seq 0, hash "": what the first entry chains to
	after := int64(math.MinInt64)
	for {
		var rows []row
		if err := q.Select(ctx, &rows, `SELECT `+columns+` FROM audit_events
			WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, after, h.Seq, verifyPage); err != nil {
			return checked, nil, fmt.Errorf("audit: verify: read entries: %w", err)
		}
		for i := range rows {
			if b := checkLink(&prev, &rows[i]); b != nil {
				return checked, b, nil
			}
			checked++
			prev = rows[i]
		}
		if len(rows) < verifyPage {
			break
		}
		after = rows[len(rows)-1].Seq
	}

	switch {
	case prev.Seq < h.Seq:
		return checked, &Break{Seq: prev.Seq + 1, Reason: fmt.Sprintf(
			"entries %d to %d are missing: the head is at %d but the last entry is %d",
			prev.Seq+1, h.Seq, h.Seq, prev.Seq)}, nil
	case prev.Hash != h.Hash:
		return checked, &Break{Seq: prev.Seq, ID: prev.ID,
			Reason: "the head's hash does not match the last entry"}, nil
	}
	b, err := checkBeyondHead(ctx, q, h)
	return checked, b, err
}

// checkLink checks r against the entry before it.
func checkLink(prev, r *row) *Break {
	brk := func(format string, args ...any) *Break {
		return &Break{Seq: r.Seq, ID: r.ID, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case r.Seq != prev.Seq+1:
		return brk("expected entry %d next, found %d: entries were deleted or renumbered", prev.Seq+1, r.Seq)
	case r.PrevHash != prev.Hash:
		return brk("prev_hash is not the hash of entry %d: an entry before it was deleted, replaced or reordered", prev.Seq)
	case !r.validUTF8():
		return brk("contains invalid UTF-8, which Append never writes: the entry was edited")
	case r.computeHash() != r.Hash:
		return brk("hash does not match the entry's contents: the entry was edited")
	}
	return nil
}

// checkBeyondHead finds an entry above the head that no Append put there (it
// would have moved the head). An entry above the head read at the start may
// have been appended since, so the head is read again after the entry: a
// committed append shows its head move to any later read.
func checkBeyondHead(ctx context.Context, q db.Querier, h head) (*Break, error) {
	var extra row
	err := q.Get(ctx, &extra, `SELECT `+columns+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1`, h.Seq)
	if errors.Is(err, db.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: verify: read entries: %w", err)
	}
	now, err := readHead(ctx, q)
	if err != nil {
		return nil, err
	}
	if extra.Seq > now.Seq {
		return &Break{Seq: extra.Seq, ID: extra.ID,
			Reason: fmt.Sprintf("the entry is beyond the head (at %d): it was not appended through the chain", now.Seq)}, nil
	}
	return nil, nil
}

func readHead(ctx context.Context, q db.Querier) (head, error) {
	var h head
	if err := q.Get(ctx, &h, `SELECT seq, hash FROM audit_head WHERE id = 1`); err != nil {
		return h, fmt.Errorf("audit: verify: read head: %w", err)
	}
	return h, nil
}
