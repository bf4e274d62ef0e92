package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// ExportFormat tags an account's audit export.
const ExportFormat = "liaison-audit-export-v1"

// Export is an account's audit entries with what is needed to check them
// offline (`liaison audit verify-export FILE --public-key KEY`, see
// docs/OPERATING.md): every column that is hashed, each entry's hash and
// signature, and the newest signed checkpoint.
type Export struct {
	Format     string        `json:"format"`
	AccountID  string        `json:"account_id"`
	ExportedAt time.Time     `json:"exported_at"`
	Checkpoint *Checkpoint   `json:"checkpoint"`
	Entries    []ExportEntry `json:"entries"`
}

// ExportEntry is one stored entry as it was hashed, plus its signature
// ("" while the checkpoint job has not signed it yet).
type ExportEntry struct {
	Seq            int64   `json:"seq"`
	ID             string  `json:"id"`
	At             string  `json:"at"` // RFC 3339 with the stored microseconds, as hashed
	AccountID      *string `json:"account_id"`
	ActorID        *string `json:"actor_id"`
	ImpersonatorID *string `json:"impersonator_id"`
	Action         string  `json:"action"`
	TargetID       string  `json:"target_id"`
	BeforeJSON     string  `json:"before_json"`
	AfterJSON      string  `json:"after_json"`
	IP             string  `json:"ip"`
	PrevHash       string  `json:"prev_hash"`
	Hash           string  `json:"hash"`
	AgencyID       *string `json:"agency_id"`
	KeyID          string  `json:"key_id,omitempty"`
	Sig            string  `json:"sig,omitempty"`
}

// Export returns the account that rel was checked against's entries, oldest
// first, scoped like List (an agency sees its own entries and those of no
// agency).
func (l *Log) Export(ctx context.Context, rel authz.Relation) (Export, error) {
	if !rel.Visible() {
		return Export{}, errs.ErrNotFound
	}
	return ExportAccount(ctx, l.db, rel.AccountID, rel.Agency(), l.now())
}

// ExportAccount builds the export of one account (agencyID as in
// Filter.AgencyID).
func ExportAccount(ctx context.Context, q db.Querier, accountID, agencyID string, now time.Time) (Export, error) {
	out := Export{Format: ExportFormat, AccountID: accountID, ExportedAt: now.UTC().Truncate(time.Second), Entries: []ExportEntry{}}
	if c, ok, err := LatestCheckpoint(ctx, q); err != nil {
		return out, err
	} else if ok {
		out.Checkpoint = &c
	}
	cond, args := "e.account_id = ?", []any{accountID}
	if agencyID != "" {
		cond += " AND (e.agency_id IS NULL OR e.agency_id = ?)"
		args = append(args, agencyID)
	}
	var after int64
	for {
		var rows []struct {
			row
			KeyID *string `db:"key_id"`
			Sig   *string `db:"sig"`
		}
		if err := q.Select(ctx, &rows, `SELECT e.seq, e.id, e.at, e.account_id, e.actor_id, e.impersonator_id, e.action,
			e.target_id, e.before_json, e.after_json, e.ip, e.prev_hash, e.hash, e.agency_id, s.key_id, s.sig
			FROM audit_events e LEFT JOIN audit_sigs s ON s.seq = e.seq
			WHERE `+cond+` AND e.seq > ? ORDER BY e.seq LIMIT ?`, append(args, after, verifyPage)...); err != nil {
			return out, fmt.Errorf("audit: export: %w", err)
		}
		for _, r := range rows {
			e := ExportEntry{Seq: r.Seq, ID: r.ID, At: r.At.Time.UTC().Format(time.RFC3339Nano), AccountID: r.AccountID,
				ActorID: r.ActorID, ImpersonatorID: r.ImpersonatorID, Action: r.Action, TargetID: r.TargetID,
				BeforeJSON: r.BeforeJSON, AfterJSON: r.AfterJSON, IP: r.IP, PrevHash: r.PrevHash, Hash: r.Hash, AgencyID: r.AgencyID}
			if r.Sig != nil {
				e.KeyID, e.Sig = *r.KeyID, *r.Sig
			}
			out.Entries = append(out.Entries, e)
			after = r.Seq
		}
		if len(rows) < verifyPage {
			return out, nil
		}
	}
}

// ExportReport is what VerifyExport found in an export that holds.
type ExportReport struct {
	Entries  int   // entries whose hash and signature hold
	Unsigned int   // entries newer than the checkpoint, not signed yet
	Anchored int64 // the checkpoint's sequence number (0: none)
}

// VerifyExport checks an export offline against the operator's public key:
// the checkpoint's signature, each entry's hash recomputed from its
// columns, its signature, and the link between entries that follow each
// other. Entries up to the checkpoint must be signed. It needs no database
// and nothing from the server but pub.
func VerifyExport(data []byte, pub ed25519.PublicKey) (ExportReport, error) {
	var rep ExportReport
	var ex Export
	if err := json.Unmarshal(data, &ex); err != nil {
		return rep, fmt.Errorf("not an audit export: %w", err)
	}
	if ex.Format != ExportFormat {
		return rep, fmt.Errorf("not an audit export (format %q, want %q)", ex.Format, ExportFormat)
	}
	if ex.Checkpoint != nil {
		if err := ex.Checkpoint.Check(pub); err != nil {
			return rep, err
		}
		rep.Anchored = ex.Checkpoint.Seq
	}
	var prev *ExportEntry
	for i := range ex.Entries {
		e := &ex.Entries[i]
		at, err := time.Parse(time.RFC3339Nano, e.At)
		if err != nil {
			return rep, fmt.Errorf("entry %d: bad time %q", e.Seq, e.At)
		}
		r := row{Seq: e.Seq, ID: e.ID, At: db.Time{Time: at, Valid: true}, AccountID: e.AccountID, ActorID: e.ActorID,
			ImpersonatorID: e.ImpersonatorID, Action: e.Action, TargetID: e.TargetID, BeforeJSON: e.BeforeJSON,
			AfterJSON: e.AfterJSON, IP: e.IP, PrevHash: e.PrevHash, AgencyID: e.AgencyID}
		switch {
		case e.AccountID == nil || *e.AccountID != ex.AccountID:
			return rep, fmt.Errorf("entry %d is not the account %s's", e.Seq, ex.AccountID)
		case prev != nil && e.Seq <= prev.Seq:
			return rep, fmt.Errorf("entry %d comes after entry %d: out of order", e.Seq, prev.Seq)
		case prev != nil && e.Seq == prev.Seq+1 && e.PrevHash != prev.Hash:
			return rep, fmt.Errorf("entry %d does not chain to entry %d", e.Seq, prev.Seq)
		case !r.validUTF8() || r.computeHash() != e.Hash:
			return rep, fmt.Errorf("entry %d: its hash does not match its contents: it was edited", e.Seq)
		case ex.Checkpoint != nil && e.Seq == ex.Checkpoint.Seq && e.Hash != ex.Checkpoint.Hash:
			return rep, fmt.Errorf("entry %d differs from the signed checkpoint", e.Seq)
		case e.Sig == "" && e.Seq <= rep.Anchored:
			return rep, fmt.Errorf("entry %d is not signed though the checkpoint covers it", e.Seq)
		case e.Sig == "":
			rep.Unsigned++
		case e.KeyID != KeyID(pub) || !checkEntrySig(pub, e.Seq, e.Hash, e.Sig):
			return rep, fmt.Errorf("entry %d: the signature does not match (key %s)", e.Seq, e.KeyID)
		default:
			rep.Entries++
		}
		prev = e
	}
	if rep.Entries+rep.Unsigned == 0 && len(ex.Entries) > 0 {
		return rep, errors.New("no entry checked")
	}
	return rep, nil
}
