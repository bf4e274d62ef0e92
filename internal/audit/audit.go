// Package audit is Liaison's append-only, tamper-evident audit log (SPEC §9).
//
// Every entry carries a sequence number and the hash of the entry before it;
// its own hash covers all of its fields plus that previous hash, so editing,
// deleting or reordering any stored entry breaks the chain at a point that
// Verify can name. audit_head holds the last sequence number and hash: it is
// the one row appenders serialise on, and it also catches a deleted tail,
// which a chain alone cannot (the last entry has no successor to disagree).
//
// Entries are written with Append inside the transaction of the change they
// describe, so a change and its audit entry commit or roll back together;
// Append also queues the webhook deliveries of the entries that are webhook
// events (internal/webhook/outbox), in that same transaction.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// Entry is what a caller records: who (actor, and the impersonator when an
// agency user acts as a client), in which account, what, on which object,
// from where, and the state before and after. Empty IDs are stored as NULL.
type Entry struct {
	AccountID      string
	ActorID        string
	ImpersonatorID string
	Action         string // e.g. "session.login", "client.seats.update"
	TargetID       string
	IP             string
	// AgencyID is the agency on whose side an entry on a client account
	// was made: its staff's change, its Login As, its invitation or link.
	// A client shared by several agencies shows each only the entries of
	// its own and those without one (the client's own, the system's); see
	// Filter.AgencyID. Empty for the client's own changes.
	AgencyID string
	// Before and After are JSON-encoded as given; nil (or a value that
	// encodes to null) is stored as "" and shown as null.
	Before, After any
}

// Event is a stored entry as the API shows it.
type Event struct {
	ID             string          `json:"id"`
	Seq            int64           `json:"-"`
	At             time.Time       `json:"at"`
	Action         string          `json:"action"`
	AccountID      *string         `json:"account_id"`
	ActorID        *string         `json:"actor_id"`
	ImpersonatorID *string         `json:"impersonator_id"`
	TargetID       string          `json:"target_id,omitempty"`
	IP             string          `json:"ip"`
	Before         json.RawMessage `json:"before"`
	After          json.RawMessage `json:"after"`
}

// row is one audit_events row, the unit that is hashed and verified.
type row struct {
	Seq            int64   `db:"seq"`
	ID             string  `db:"id"`
	At             db.Time `db:"at"`
	AccountID      *string `db:"account_id"`
	ActorID        *string `db:"actor_id"`
	ImpersonatorID *string `db:"impersonator_id"`
	Action         string  `db:"action"`
	TargetID       string  `db:"target_id"`
	BeforeJSON     string  `db:"before_json"`
	AfterJSON      string  `db:"after_json"`
	IP             string  `db:"ip"`
	PrevHash       string  `db:"prev_hash"`
	Hash           string  `db:"hash"`
	AgencyID       *string `db:"agency_id"`
}

const columns = `seq, id, at, account_id, actor_id, impersonator_id, action, target_id, before_json, after_json, ip, prev_hash, hash, agency_id`

// hashVersion starts every canonical encoding, so that a future change of
// format can be told apart from tampering. An entry with an agency
// (migration 00016) is hashed as hashVersion2 with the agency last; one
// without keeps version 1's encoding, so entries written before stay valid
// and removing an entry's agency breaks its hash.
const (
	hashVersion  = "liaison-audit-v1"
	hashVersion2 = "liaison-audit-v2"
)

// canonical is the exact byte string that is hashed: a JSON array of the
// version tag and every column but hash, in a fixed order, with NULL IDs as
// null (so NULL and "" differ) and the time as RFC 3339 in UTC. JSON strings
// are length-delimited by their quotes and escapes, so no two different rows
// encode alike — provided the strings are valid UTF-8, which Append ensures
// and Verify checks (Go's encoder would otherwise replace bad bytes). It is
// plain JSON so an auditor can recompute hashes with any tool.
func (r *row) canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	version := hashVersion
	if r.AgencyID != nil {
		version = hashVersion2
	}
	fields := []any{
		version, r.Seq, r.ID, r.At.Time.UTC().Format(time.RFC3339Nano),
		r.AccountID, r.ActorID, r.ImpersonatorID, r.Action, r.TargetID,
		r.BeforeJSON, r.AfterJSON, r.IP, r.PrevHash,
	}
	if r.AgencyID != nil {
		fields = append(fields, *r.AgencyID)
	}
	if err := enc.Encode(fields); err != nil {
		// Strings, ints and *string always encode.
		panic("audit: canonical encoding: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// computeHash is the hex SHA-256 of the canonical encoding.
func (r *row) computeHash() string {
	h := sha256.Sum256(r.canonical())
	return hex.EncodeToString(h[:])
}

// validUTF8 reports whether every text field is valid UTF-8: Append only
// writes valid text, so anything else was written around it.
func (r *row) validUTF8() bool {
	for _, s := range []string{r.ID, r.Action, r.TargetID, r.BeforeJSON, r.AfterJSON, r.IP, r.PrevHash} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	for _, p := range []*string{r.AccountID, r.ActorID, r.ImpersonatorID, r.AgencyID} {
		if p != nil && !utf8.ValidString(*p) {
			return false
		}
	}
	return true
}

func (r *row) event() Event {
	return Event{
		ID:             r.ID,
		Seq:            r.Seq,
		At:             r.At.Time.UTC(),
		Action:         r.Action,
		AccountID:      r.AccountID,
		ActorID:        r.ActorID,
		ImpersonatorID: r.ImpersonatorID,
		TargetID:       r.TargetID,
		IP:             r.IP,
		Before:         rawJSON(r.BeforeJSON),
		After:          rawJSON(r.AfterJSON),
	}
}

// rawJSON turns a stored document into a RawMessage; "" becomes nil, which
// encodes as null.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

type head struct {
	Seq  int64  `db:"seq"`
	Hash string `db:"hash"`
}

// Append writes e as the next entry of the chain, inside tx, stamped at.
//
// It locks audit_head for the rest of the transaction, so concurrent changes
// append one after another and the chain has a single order; keep the
// transaction short after calling it. If tx rolls back, neither the entry
// nor the head move, so the chain stays whole.
func Append(ctx context.Context, tx *db.Tx, at time.Time, e Entry) (Event, error) {
	if strings.TrimSpace(e.Action) == "" {
		return Event{}, errors.New("audit: entry without an action")
	}
	before, err := encodeJSON(e.Before)
	if err != nil {
		return Event{}, fmt.Errorf("audit: encode before of %s: %w", e.Action, err)
	}
	after, err := encodeJSON(e.After)
	if err != nil {
		return Event{}, fmt.Errorf("audit: encode after of %s: %w", e.Action, err)
	}

	// PostgreSQL needs the row lock; on SQLite the write transaction began
	// IMMEDIATE on the single writer connection, which already excludes
	// every other appender, and SQLite has no FOR UPDATE.
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if tx.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	var h head
	if err := tx.Get(ctx, &h, q); err != nil {
		return Event{}, fmt.Errorf("audit: read head: %w", err)
	}

	// Both engines keep microseconds; truncating first means the time that is
	// hashed is exactly the time that is read back.
	r := row{
		Seq:            h.Seq + 1,
		ID:             id.New(id.Audit),
		At:             db.Time{Time: at.UTC().Truncate(time.Microsecond), Valid: true},
		AccountID:      nullable(e.AccountID),
		ActorID:        nullable(e.ActorID),
		ImpersonatorID: nullable(e.ImpersonatorID),
		Action:         clean(e.Action),
		TargetID:       clean(e.TargetID),
		BeforeJSON:     before,
		AfterJSON:      after,
		IP:             clean(e.IP),
		PrevHash:       h.Hash,
		AgencyID:       nullable(e.AgencyID),
	}
	r.Hash = r.computeHash()

	if _, err := tx.Exec(ctx, `INSERT INTO audit_events (`+columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.ID, r.At.Time, r.AccountID, r.ActorID, r.ImpersonatorID, r.Action,
		r.TargetID, r.BeforeJSON, r.AfterJSON, r.IP, r.PrevHash, r.Hash, r.AgencyID); err != nil {
		return Event{}, fmt.Errorf("audit: insert entry %d: %w", r.Seq, err)
	}
	// The seq guard turns a locking mistake into an error instead of a fork
	// in the chain.
	res, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?`,
		r.Seq, r.Hash, h.Seq)
	if err != nil {
		return Event{}, fmt.Errorf("audit: move head: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Event{}, fmt.Errorf("audit: head moved under entry %d (rows %d, %v)", r.Seq, n, err)
	}
	// The entries that are webhook events queue their deliveries here, in
	// the same transaction (issue 21): every event of the list is audited,
	// so this is the one place that sees them all. outbox decides which
	// actions are events and which agency hears of each.
	if err := outbox.FromAudit(ctx, tx, r.At.Time, outbox.Fact{AccountID: e.AccountID, AgencyID: e.AgencyID,
		ActorID: e.ActorID, ImpersonatorID: e.ImpersonatorID, Action: r.Action, TargetID: r.TargetID,
		Before: before, After: after}); err != nil {
		return Event{}, err
	}
	return r.event(), nil
}

// encodeJSON encodes v compactly; nil and null become "".
func encodeJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	// json.Marshal output is compact, including a json.RawMessage's.
	if s := string(b); s != "null" {
		return s, nil
	}
	return "", nil
}

// clean makes s valid UTF-8, so the canonical encoding stays unambiguous.
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	s = clean(s)
	return &s
}
