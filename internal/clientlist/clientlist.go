// Package clientlist is the client list's read model (SPEC §3, §5): the
// stored rows, their triggers' contract, the per-process copies, the
// counts, the refresh of due rows, the CSV export and the health and
// digest reads. Commands on clients live in package client; other
// packages change the list only through the schema's triggers and the
// functions of clientlist/due, never with their own UPDATE of its tables.
//
// # Invariants
//
// Rows. client_list holds one row per active link (id = the link's ID,
// access_all copied, so authz's visibleVia reads it as a link) with
// everything the list shows, filters, sorts and searches. Its one
// definition is the view client_list_source (migration 00010); triggers
// on every table the view reads rebuild the rows of the client concerned
// in the changing transaction, so no code path can forget to. On
// PostgreSQL a rebuild first locks the client's accounts row, so two
// transactions changing one client rebuild one after the other.
//
// Due. A row's status (active, at_risk, churned), health and last
// activity move with the clock as well as the data. Its valid_until, kept
// in client_list_due (migration 00058: the most written column, in a
// narrow table so that writing it rewrites two small indexes, not the
// list's ten), is the first moment they could change on their own
// (health.NextChange; NULL: never). A row is due when valid_until has
// passed. A rebuilt row is due at once (due.Epoch, 1970: its values are
// blank and copies read it again); a recorded event or a change of
// thresholds marks rows due (due.Marked, a second later: its values are
// the last refresh's, and copies read it again only if they move). Every
// read of an agency's rows (list, counts, CSV, detail, health, digest)
// first recomputes its due rows (RefreshDue, a batch of 500 per write
// transaction), so what it shows is exact at any clock time with no job
// running — except that a reader recomputes at most 500 rows of a backlog
// and the rest is refreshed behind it (behind.go), the reader's
// own rows computed in memory meanwhile.
//
// Versions. An agency's row version (client_list_agency_versions) moves
// each time a refresh changes something a copy holds; each changed row is
// stamped with the version (client_list_stamps). Only the refresh gives
// versions, under a lock on the agency's version row held to commit, so
// versions are given in commit order: a reader that sees version n has
// seen every stamp up to n. Marking rows due touches valid_until only,
// which no copy holds. An agency's access version
// (client_list_access_versions, migration 00024) counts every change that
// can move its counts or a member's visible clients (access lists, groups,
// account managers, roles, statuses, names and contacts searched), moved by
// triggers in the changing transaction for the agencies concerned only, so
// one agency's writes never make another's cached counts or visible sets be
// read again nor queue on another's row.
//
// Tombstones. A row deleted for good (a link that ends, a client deleted)
// leaves a stamp of version -1 (a trigger). An agency with tombstones is
// due; the refresh gives them a version, after which a copy drops the row.
//
// Copies. Each process keeps a copy of an agency's rows per row version
// (memory.go); a request reads, in one statement, the agency's state and
// the rows stamped since its copy (usually none). Other agencies' changes
// never make a copy be read again.
package clientlist

import (
	"context"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
)

// Service reads the client list.
type Service struct {
	db *db.DB
	// read runs the read queries; it is db except in tests that count
	// statements (see export_test.go).
	read db.Querier
	now  clock.Clock
	// countsCache keeps the client list's counts until the data changes
	// (list.go).
	countsCache countsCache
	// copies keeps each agency's list rows, visible the clients each
	// user sees, for pages read from memory (memory.go).
	copies    copies
	visible   visibleSets
	memCounts memCountsCache
	// listFromMemory is always on except in tests that compare the
	// copies with SQL (export_test.go).
	listFromMemory bool
	// refreshes lets concurrent readers share one refresh (behind.go).
	refreshes singleflight.Group
	// behind holds the agencies whose due rows a goroutine is refreshing
	// behind the readers, behindWG those goroutines (behind.go).
	behind     sync.Map
	behindWG   sync.WaitGroup
	readerRows int
	// holdBehind, when set (tests), holds each refresh behind until it is
	// closed.
	holdBehind chan struct{}
	// behindCtx runs the refreshes behind the readers until StopBehind.
	behindCtx  context.Context
	stopBehind context.CancelFunc
}

// New returns the client list's service.
func New(d *db.DB, now clock.Clock) *Service {
	ctx, stop := context.WithCancel(context.Background())
	return &Service{db: d, read: d, now: now, listFromMemory: true, readerRows: readerRows, behindCtx: ctx, stopBehind: stop}
}

// ClientBrand is a brand granted to a client, as the list and detail show it.
// (The Client prefix keeps the OpenAPI schema names unique across packages.)
type ClientBrand struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// ClientHealth is a client's health score and its band (SPEC §5).
type ClientHealth struct {
	Score int    `json:"score"`
	Band  string `json:"band" enum:"healthy,at_risk,churned"`
}

// healthFor is a score with its band.
func healthFor(score int) ClientHealth {
	h := ClientHealth{Score: score}
	switch {
	case h.Score >= 70:
		h.Band = "healthy"
	case h.Score >= 40:
		h.Band = "at_risk"
	default:
		h.Band = "churned"
	}
	return h
}

// A client's name, primary contact (the earliest-joined client admin's
// e-mail), status, user count, seats and brands, as the list and the detail
// show them, are stored per active link in client_list, whose one
// definition is the view client_list_source (migration 00010); triggers
// keep it up to date in every writing transaction. The status, health and
// last activity, which also move with the clock, are recomputed from the
// client's activity when due (fresh.go). SPEC §5's statuses: revoked,
// pending (nobody has joined), and for a joined client active, at_risk or
// churned by its last login. While nobody has joined: pending when an
// e-mail invitation is open, link_invite when only a link invitation is,
// pending otherwise; the invited e-mail is then the primary contact.

// Statuses are the values of the status filter, in tab order.
var Statuses = []string{"all", "pending", "link_invite", "active", "at_risk", "churned", "revoked"}

// accessVersionSQL reads an agency's access version (argument: the agency);
// 0 before its first change.
const accessVersionSQL = `COALESCE((SELECT v FROM client_list_access_versions WHERE agency_id = ?), 0)`

// linked reports whether rel is an agency user's checked view of a client.
func linked(rel authz.Relation) bool {
	return rel.Visible() && rel.AccountKind == "client" && rel.AgencyID != ""
}
