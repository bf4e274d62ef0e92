package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/liaison-dev/liaison/internal/db"
)

// Head is the chain's last entry, which `liaison audit verify` prints so an
// operator can record it elsewhere.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Report is what VerifyAnchored found in a chain that holds.
type Report struct {
	Checked     int  // entries whose hash chain holds
	Head        Head // the head read before the walk
	Signed      int  // entries with a valid signature
	Checkpoints int  // checkpoints checked (stored and given)
}

// VerifyAnchored checks the hash chain (Verify), then the signatures: every
// signed entry's signature with pub, signatures without gaps, every
// checkpoint stored in the database and every one in external (kept off the
// machine) signed by pub and matching the chain. A checkpoint above the
// head is a chain truncated with its head rewritten: the hash chain alone
// cannot see it, the checkpoint can, even when the signature tables were
// truncated too — which is why external checkpoints matter.
func VerifyAnchored(ctx context.Context, q db.Querier, pub ed25519.PublicKey, external []Checkpoint) (Report, *Break, error) {
	var rep Report
	h, err := readHead(ctx, q)
	if err != nil {
		return rep, nil, err
	}
	rep.Head = Head{Seq: h.Seq, Hash: h.Hash}
	n, brk, err := Verify(ctx, q)
	rep.Checked = n
	if err != nil || brk != nil {
		return rep, brk, err
	}

	keyID := KeyID(pub)
	var after int64
	for {
		var sigs []struct {
			Seq   int64   `db:"seq"`
			KeyID string  `db:"key_id"`
			Sig   string  `db:"sig"`
			Hash  *string `db:"hash"`
		}
		if err := q.Select(ctx, &sigs, `SELECT s.seq, s.key_id, s.sig, e.hash FROM audit_sigs s
			LEFT JOIN audit_events e ON e.seq = s.seq WHERE s.seq > ? ORDER BY s.seq LIMIT ?`, after, verifyPage); err != nil {
			return rep, nil, fmt.Errorf("audit: verify signatures: %w", err)
		}
		for _, s := range sigs {
			switch {
			case s.Seq != after+1:
				return rep, &Break{Seq: after + 1, Reason: fmt.Sprintf(
					"entry %d has no signature though entry %d has: signatures were deleted", after+1, s.Seq)}, nil
			case s.Hash == nil:
				return rep, &Break{Seq: s.Seq, Reason: "the entry was signed but is missing: entries were deleted and the head rewritten"}, nil
			case s.KeyID != keyID:
				return rep, &Break{Seq: s.Seq, Reason: fmt.Sprintf("signed by key %s, not this server's key %s", s.KeyID, keyID)}, nil
			case !checkEntrySig(pub, s.Seq, *s.Hash, s.Sig):
				return rep, &Break{Seq: s.Seq, Reason: "the signature does not match the entry: it was rewritten after it was signed"}, nil
			}
			after = s.Seq
			rep.Signed++
		}
		if len(sigs) < verifyPage {
			break
		}
	}

	stored, err := Checkpoints(ctx, q, 0, 0)
	if err != nil {
		return rep, nil, err
	}
	for _, c := range append(stored, external...) {
		if b, err := checkCheckpoint(ctx, q, pub, c, h, int64(rep.Signed)); b != nil || err != nil {
			return rep, b, err
		}
		rep.Checkpoints++
	}
	return rep, nil, nil
}

func checkCheckpoint(ctx context.Context, q db.Querier, pub ed25519.PublicKey, c Checkpoint, h head, signedUpTo int64) (*Break, error) {
	when := c.At.UTC().Format("2006-01-02 15:04:05 UTC")
	if err := c.Check(pub); err != nil {
		return &Break{Seq: c.Seq, Reason: err.Error()}, nil
	}
	if c.Seq > h.Seq {
		return &Break{Seq: c.Seq, Reason: fmt.Sprintf(
			"the checkpoint of %s anchors entry %d, but the chain ends at %d: entries were deleted and the head rewritten",
			when, c.Seq, h.Seq)}, nil
	}
	var hash string
	if err := q.Get(ctx, &hash, `SELECT hash FROM audit_events WHERE seq = ?`, c.Seq); err != nil {
		return nil, fmt.Errorf("audit: verify checkpoint %d: %w", c.Seq, err)
	}
	if hash != c.Hash {
		return &Break{Seq: c.Seq, Reason: fmt.Sprintf(
			"the entry's hash differs from the checkpoint of %s: the chain was rewritten up to it", when)}, nil
	}
	if c.Seq > signedUpTo {
		return &Break{Seq: signedUpTo + 1, Reason: fmt.Sprintf(
			"the entry is not signed though the checkpoint of %s covers it: signatures were deleted", when)}, nil
	}
	return nil, nil
}
