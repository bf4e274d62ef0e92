package clientlist

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
)

// The refresh's read of a client's own activity (activityNow, activityOf),
// kept apart from fresh.go, which stores what it computes from it.

// clientActivity is one client's own activity: the health inputs of the
// last 120 days, its last login and last activity ever.
type clientActivity struct {
	health.Activity
	lastLogin  time.Time
	lastActive time.Time
}

// activityOf reads the own (not impersonated) activity of the clients — the
// logins and page views of the window before now, the last login before the
// window, the last login and last activity ever — in two statements
// whatever their number. For a score at other moments (a history, a
// week's change).
func activityOf(ctx context.Context, q db.Querier, clientIDs []string, now time.Time, window time.Duration) (map[string]clientActivity, error) {
	return readActivity(ctx, q, clientIDs, now, window, false)
}

// activityNow is activityOf for the score and status at now only
// (health.Score, NextChange), as the refresh stores them: of the page
// views it reads one per page, the page's first view of the last 30 days.
// Those give what the score and its next change read of views (the pages
// viewed in the last 30 days, and the first moment one of those views
// leaves them). Every view of the window was read and scanned before:
// a client's refresh, due after each of its page views, cost more with
// every view it had (issue 23's soak: activityOf 4 % → 14 % of the
// server's CPU on SQLite over ten minutes; TestActivityNowScoresAsAll).
func activityNow(ctx context.Context, q db.Querier, clientIDs []string, now time.Time) (map[string]clientActivity, error) {
	return readActivity(ctx, q, clientIDs, now, healthWindow, true)
}

// viewWindow is how far back a page view counts (health.Score's depth).
const viewWindow = 30 * health.Day

// The refresh reads a client's own activity after each of its page views
// and logins, so what it reads must not grow with the client's history
// (issue 23's mixed soak: 3.8 % → 10.7 % of the server's CPU on SQLite in
// 8 minutes, the maxima reading every event a client ever had and the
// first views every view of the last 30 days). Its maxima and first views
// are index seeks, at the ends of the partial indexes of migration 00060
// (own events only) where they can be:
//
//   - its last login, and last login before the window: one seek each;
//   - its last event: activity_events_client_at read backwards from now
//     to the first own event, past the impersonated ones after it (few:
//     a Login As after the client's last own visit);
//   - the pages it viewed are walked one seek each (the next page after
//     the last, a loose index scan: neither engine has one), and each
//     page's first view of the last 30 days is a seek;
//   - the logins of the window are still read one by one (the score
//     counts them): that grows with a client's logins, not its views.
//
// The conditions repeat the partial indexes' own (kind = 'page_view',
// impersonator_id IS NULL) word for word: a planner uses a partial index
// only when the statement implies its condition, and SQLite only when it
// reads the same words. TestActivityReadPlans checks the plans, on
// PostgreSQL as a generic plan.

// ActivityWindowSQL reads the logins of the window before now and, per page
// a client viewed, its first view of the last 30 days (arguments: the
// clients, the clients, the window's start, now, now − 30 days, now): what
// activityNow reads of events. The walk of pages starts from every client
// given (its seed: the first page; a walk ends on NULL, the page after the
// last). A page with no view in the last 30 days has a row with a NULL at.
func ActivityWindowSQL(d db.Dialect) string {
	return `WITH RECURSIVE pages(client_id, page) AS (
		SELECT c.id, (SELECT MIN(e.page) FROM activity_events e
			WHERE e.client_id = c.id AND e.kind = 'page_view' AND e.impersonator_id IS NULL)
		FROM ` + clientsFrom(d) + `
		UNION ALL SELECT p.client_id, (SELECT MIN(e.page) FROM activity_events e
			WHERE e.client_id = p.client_id AND e.kind = 'page_view' AND e.impersonator_id IS NULL AND e.page > p.page)
		FROM pages p WHERE p.page IS NOT NULL)
		SELECT client_id, kind, CAST(NULL AS TEXT) AS page, at FROM activity_events
		WHERE client_id ` + inClients(d) + ` AND kind = 'login' AND impersonator_id IS NULL AND at > ? AND at <= ?
		UNION ALL SELECT p.client_id, 'page_view', p.page, (SELECT MIN(e.at) FROM activity_events e
			WHERE e.client_id = p.client_id AND e.kind = 'page_view' AND e.impersonator_id IS NULL
			AND e.page = p.page AND e.at > ? AND e.at <= ?)
		FROM pages p WHERE p.page IS NOT NULL`
}

// ActivityLastsSQL reads each client's last own login and event at or
// before now, and its last own login at or before the window's start
// (arguments: now, now, the window's start, the clients). On SQLite the
// last event names its index: the (client, kind, at) partial index also
// holds every own event of the client, and read for a MAX over all kinds
// it would be walked whole.
func ActivityLastsSQL(d db.Dialect) string {
	return `SELECT c.id AS client_id,
		(SELECT MAX(e.at) FROM activity_events e
			WHERE e.client_id = c.id AND e.kind = 'login' AND e.impersonator_id IS NULL AND e.at <= ?) AS last_login,
		(SELECT MAX(e.at) FROM activity_events e` + indexedBy(d, "activity_events_client_at") + `
			WHERE e.client_id = c.id AND e.impersonator_id IS NULL AND e.at <= ?) AS last_active,
		(SELECT MAX(e.at) FROM activity_events e
			WHERE e.client_id = c.id AND e.kind = 'login' AND e.impersonator_id IS NULL AND e.at <= ?) AS login_before
		FROM ` + clientsFrom(d)
}

// clientsFrom names the clients of an activity read as rows, as
// inClients (store.go) tests a column against them. On PostgreSQL they are
// one array argument, not a list of them: with 500 arguments in an IN
// list, the recursive walk of pages spent 300 ms before its first row on
// every call, whatever its plan (a batch of the refresh); with the array,
// 40 ms. The statement's text is then the same for any number of
// clients, and prepared once per connection. clientsArg binds either.
func clientsFrom(d db.Dialect) string {
	if d == db.Postgres {
		return `unnest(CAST(? AS TEXT[])) AS c(id)`
	}
	return `accounts c WHERE c.id ` + inClients(d)
}

func readActivity(ctx context.Context, q db.Querier, clientIDs []string, now time.Time, window time.Duration, firstViews bool) (map[string]clientActivity, error) {
	out := make(map[string]clientActivity, len(clientIDs))
	query := `SELECT client_id, kind, page, at FROM activity_events
		WHERE client_id ` + inClients(q.Dialect()) + ` AND kind IN ('login', 'page_view') AND impersonator_id IS NULL AND at > ? AND at <= ?`
	args := []any{clientIDs, now.Add(-window), now}
	if firstViews {
		query = ActivityWindowSQL(q.Dialect())
		args = []any{clientIDs, clientIDs, now.Add(-window), now, now.Add(-viewWindow), now}
	}
	sql, args, err := clientsArg(q.Dialect(), query, args...)
	if err != nil {
		return nil, err
	}
	var evs []struct {
		ClientID string  `db:"client_id"`
		Kind     string  `db:"kind"`
		Page     *string `db:"page"`
		At       db.Time `db:"at"`
	}
	if err := q.Select(ctx, &evs, sql, args...); err != nil {
		return nil, err
	}
	for _, e := range evs {
		if !e.At.Valid { // a page not viewed in the last 30 days
			continue
		}
		a := out[e.ClientID]
		if e.Kind == "login" {
			a.Logins = append(a.Logins, e.At.Time.UTC())
		} else if e.Page != nil {
			a.Views = append(a.Views, health.View{Page: *e.Page, At: e.At.Time.UTC()})
		}
		out[e.ClientID] = a
	}
	// The last login before the window too: recency counts the days since
	// the last login up to churn_days, which may reach further back than
	// the window (an agency may set up to 730 days), and a moment inside
	// the window with no login of the window before it has that one as
	// its last.
	sql, args, err = clientsArg(q.Dialect(), ActivityLastsSQL(q.Dialect()), now, now, now.Add(-window), clientIDs)
	if err != nil {
		return nil, err
	}
	var lasts []struct {
		ClientID    string  `db:"client_id"`
		LastLogin   db.Time `db:"last_login"`
		LastActive  db.Time `db:"last_active"`
		LoginBefore db.Time `db:"login_before"`
	}
	if err := q.Select(ctx, &lasts, sql, args...); err != nil {
		return nil, err
	}
	for _, l := range lasts {
		if !l.LastActive.Valid { // no own event at or before now
			continue
		}
		a := out[l.ClientID]
		if l.LoginBefore.Valid {
			a.Logins = append(a.Logins, l.LoginBefore.Time.UTC())
		}
		a.lastActive = l.LastActive.Time.UTC()
		if l.LastLogin.Valid {
			a.lastLogin = l.LastLogin.Time.UTC()
		}
		out[l.ClientID] = a
	}
	return out, nil
}
