package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// Checkpoint is a signed statement that the chain's entry Seq had hash
// Hash at time At. One kept off the machine (the log line the job writes,
// or `liaison audit checkpoint` shipped by cron) proves later that the
// chain reached Seq: a chain truncated below it, or rewritten up to it,
// no longer matches.
type Checkpoint struct {
	Seq       int64     `json:"seq" db:"seq"`
	Hash      string    `json:"hash" db:"hash"`
	At        time.Time `json:"at" db:"at"`
	KeyID     string    `json:"key_id" db:"key_id"`
	PublicKey string    `json:"public_key" db:"public_key"`
	Sig       string    `json:"sig" db:"sig"`
}

// The signed messages. Each starts with its own tag, so an entry's
// signature can never pass for a checkpoint's or the other way round.
func checkpointMessage(seq int64, hash string, at time.Time) []byte {
	return []byte("liaison-audit-checkpoint-v1\n" + strconv.FormatInt(seq, 10) + "\n" + hash + "\n" +
		at.UTC().Format(time.RFC3339Nano))
}

func entryMessage(seq int64, hash string) []byte {
	return []byte("liaison-audit-entry-v1\n" + strconv.FormatInt(seq, 10) + "\n" + hash)
}

// Check verifies the checkpoint's signature with pub.
func (c Checkpoint) Check(pub ed25519.PublicKey) error {
	if c.KeyID != KeyID(pub) {
		return fmt.Errorf("checkpoint %d is signed by key %s, not %s", c.Seq, c.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pub, checkpointMessage(c.Seq, c.Hash, c.At), sig) {
		return fmt.Errorf("checkpoint %d: the signature does not match", c.Seq)
	}
	return nil
}

func checkEntrySig(pub ed25519.PublicKey, seq int64, hash, sig string) bool {
	b, err := base64.StdEncoding.DecodeString(sig)
	return err == nil && ed25519.Verify(pub, entryMessage(seq, hash), b)
}

// signPage is how many entries one signing transaction covers.
const signPage = 500

// Sign signs every entry appended since the last signed one, after checking
// that they chain correctly (a broken chain is never signed), then writes a
// checkpoint of the head. It returns the checkpoint and how many entries it
// signed. Several processes running it at once sign the same values, and
// the primary keys keep one copy. The checkpoint job calls it (CheckpointJob).
func Sign(ctx context.Context, d *db.DB, k *Key, now time.Time) (Checkpoint, int, error) {
	var last int64
	if err := d.Get(ctx, &last, `SELECT COALESCE(MAX(seq), 0) FROM audit_sigs`); err != nil {
		return Checkpoint{}, 0, fmt.Errorf("audit: sign: %w", err)
	}
	h, err := readHead(ctx, d)
	if err != nil {
		return Checkpoint{}, 0, err
	}
	var prev row
	if last > 0 {
		if err := d.Get(ctx, &prev, `SELECT `+columns+` FROM audit_events WHERE seq = ?`, last); err != nil {
			return Checkpoint{}, 0, fmt.Errorf("audit: sign: read entry %d: %w", last, err)
		}
	}
	signed := 0
	for prev.Seq < h.Seq {
		var rows []row
		if err := d.Select(ctx, &rows, `SELECT `+columns+` FROM audit_events
			WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, prev.Seq, h.Seq, signPage); err != nil {
			return Checkpoint{}, signed, fmt.Errorf("audit: sign: %w", err)
		}
		if len(rows) == 0 {
			return Checkpoint{}, signed, fmt.Errorf("audit: not signing: entries %d to %d are missing", prev.Seq+1, h.Seq)
		}
		vals := make([]string, 0, len(rows))
		args := make([]any, 0, 3*len(rows))
		for i := range rows {
			if b := checkLink(&prev, &rows[i]); b != nil {
				return Checkpoint{}, signed, fmt.Errorf("audit: not signing a broken chain: %s", b)
			}
			prev = rows[i]
			vals = append(vals, "(?, ?, ?)")
			args = append(args, prev.Seq, k.ID, k.sign(entryMessage(prev.Seq, prev.Hash)))
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO audit_sigs (seq, key_id, sig) VALUES `+strings.Join(vals, ", ")+
				` ON CONFLICT (seq) DO NOTHING`, args...)
			return err
		}); err != nil {
			return Checkpoint{}, signed, fmt.Errorf("audit: sign: %w", err)
		}
		signed += len(rows)
	}
	if h.Seq == 0 {
		return Checkpoint{}, 0, nil // nothing to anchor yet
	}
	if prev.Hash != h.Hash {
		return Checkpoint{}, signed, errors.New("audit: not signing: the head's hash does not match the last entry")
	}
	at := now.UTC().Truncate(time.Microsecond)
	c := Checkpoint{Seq: h.Seq, Hash: h.Hash, At: at, KeyID: k.ID, PublicKey: k.PublicString(),
		Sig: k.sign(checkpointMessage(h.Seq, h.Hash, at))}
	if _, err := d.Exec(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, key_id, public_key, sig)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING`, c.Seq, c.Hash, c.At, c.KeyID, c.PublicKey, c.Sig); err != nil {
		return Checkpoint{}, signed, fmt.Errorf("audit: checkpoint: %w", err)
	}
	// The stored one, when another run wrote this head's checkpoint first.
	stored, err := Checkpoints(ctx, d, c.Seq-1, 1)
	if err != nil || len(stored) == 0 {
		return c, signed, err
	}
	return stored[0], signed, nil
}

// Checkpoints returns up to limit stored checkpoints above seq after,
// oldest first (limit ≤ 0: all).
func Checkpoints(ctx context.Context, q db.Querier, after int64, limit int) ([]Checkpoint, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	var out []Checkpoint
	if err := q.Select(ctx, &out, `SELECT seq, hash, at, key_id, public_key, sig FROM audit_checkpoints
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit); err != nil {
		return nil, fmt.Errorf("audit: checkpoints: %w", err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// LatestCheckpoint returns the newest stored checkpoint; ok is false when
// there is none yet.
func LatestCheckpoint(ctx context.Context, q db.Querier) (c Checkpoint, ok bool, err error) {
	err = q.Get(ctx, &c, `SELECT seq, hash, at, key_id, public_key, sig FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`)
	if errors.Is(err, db.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	c.At = c.At.UTC()
	return c, true, nil
}
