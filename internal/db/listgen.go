package db

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// The list generation lets internal/clientlist keep an agency's list state
// (its stateSQL) in process on PostgreSQL as on SQLite: a state read under
// a generation is good while the generation is still the current one
// (ListGeneration), and every change to the tables the state is read from
// moves it on, in every process, before the writer answers. It moves
//
//   - in this process, right after the commit of a transaction (or an Exec)
//     that changed one of those tables, cascades through other triggers
//     included. Migration 00059's triggers tell the writing connection so
//     with an INFO message, which comes back with the statement that wrote
//     (noticeHandler marks the connection; listMarked reads the mark after
//     the commit): no statement of its own, and no guess from the
//     statement's text, which cannot see the cascades. The writer then
//     announces the change and waits for every listening process (announce,
//     as for sessions), so a request that follows its answer on another
//     process never reads the old state;
//   - when a notification on channel liaison_list arrives for this DB's
//     schema (heard): the same triggers send one as part of the commit, so
//     writes that do not announce (psql) reach the other processes too, a
//     fraction of a millisecond later;
//   - when an announcement for this DB's schema arrives (a liaison_auth
//     payload with a token);
//   - whenever the listener loses its connection or LISTENs again; while it
//     has none, ListGeneration says it is not exact.
//
// It is not the authentication generation: a list change does not make the
// processes forget their cached sessions.
//
// Announcements go on channel liaison_auth, which every version of Liaison
// listens to and acknowledges, so a process still on an older version
// during an upgrade does not keep a writer waiting; payloads of list
// announcements start with listToken, so that the listeners leave their
// sessions alone.
const (
	listNotice = "liaison_list_changed"
	listMark   = "liaison.list"
	listToken  = "list:"
)

// ListGeneration returns the generation the client list's state is cached
// under and whether it is exact: on SQLite the write generation
// (WriteGeneration: one process writes the file), on PostgreSQL the list
// generation while the listener is up. A reader takes it before it reads
// the state and keeps what it read while the generation stays the same.
func (d *DB) ListGeneration() (uint64, bool) {
	if d.dialect != Postgres {
		return d.auth.writes.Load(), true
	}
	return d.auth.list.Load(), d.auth.usable.Load()
}

// noticeHandler marks the connection a statement changed the list's state
// on (migration 00059's INFO message); pgx calls it while it reads the
// statement's answer, so the mark is there when the statement returns.
func noticeHandler(pc *pgconn.PgConn, n *pgconn.Notice) {
	if n.Message == listNotice {
		pc.CustomData()[listMark] = true
	}
}

// listMarked reports whether a statement run on c changed the list's state
// since the last call, and clears the mark. A connection it cannot read (it
// broke, or is not pgx's) counts as marked: an announcement too many costs
// a moment, one too few a stale page.
func listMarked(c *sqlx.Conn) bool {
	marked := true
	_ = c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return nil
		}
		cd := sc.Conn().PgConn().CustomData()
		_, marked = cd[listMark]
		delete(cd, listMark)
		return nil
	})
	return marked
}

// changed moves the generations on after a commit that changed what cached
// sessions (auth) or the cached list state (list) say, and on PostgreSQL
// waits until every process has moved on (announce): one announcement for
// both, which moves both on the listeners.
func (d *DB) changed(ctx context.Context, auth, list bool) {
	if list {
		d.auth.list.Add(1)
		d.auth.listed.Add(1)
	}
	if auth {
		d.auth.n.Add(1)
	}
	if !auth && !list {
		return
	}
	prefix := ""
	if !auth {
		prefix = listToken
	}
	d.announce(context.WithoutCancel(ctx), prefix)
}

// heard moves the generations on for a notification on one of the
// channels the listener follows, and reports whether it must be
// acknowledged (an announcement).
//
// Payloads end with "@" and the schema of the change (migration 00062):
// a trigger's is that alone, an announcement's is its token before it
// ([list:]<process>.<sequence>, which holds no "@"). A change in another
// schema is another installation's, sharing the database: it moves
// nothing here, and its announcement wants no acknowledgement from here,
// its writer waiting only for its own schema's listeners (announce). A
// payload without a schema (an earlier version's: "" from a trigger, a
// bare token, whose writer waits for every listener it finds under the
// earlier versions' name) may come from any schema, and counts.
func (g *authGen) heard(channel, payload string) (ack bool) {
	token, schema, scoped := strings.Cut(payload, "@")
	announcement := token != ""
	if mine := g.schemaName(); scoped && mine != "" && schema != mine {
		return false
	}
	if channel == "liaison_list" {
		g.list.Add(1)
		return false
	}
	// liaison_auth: the triggers of 00040 (no token) or an announcement.
	if !strings.HasPrefix(token, listToken) {
		g.n.Add(1)
	}
	if announcement {
		// Every announcement moves the list on: the list notification of
		// the change it announces came first (PostgreSQL delivers
		// notifications in commit order), so this is only belt and braces.
		g.list.Add(1)
	}
	return announcement
}

// execMarked runs one statement outside any transaction on a connection of
// its own on PostgreSQL, and reports whether it changed the list's state.
func (d *DB) execMarked(ctx context.Context, q string, args []any) (res sql.Result, list bool, err error) {
	c, err := d.write.Connx(ctx)
	if err != nil {
		return nil, false, classify(err)
	}
	defer c.Close()
	res, err = exec(ctx, c, d.dialect, q, args)
	return res, listMarked(c), err
}
