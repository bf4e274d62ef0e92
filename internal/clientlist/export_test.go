package clientlist

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/health"
)

// SetReader makes s run its read queries through q, so tests can count the
// statements a list costs.
func SetReader(s *Service, q db.Querier) { s.read = q }

// ListInSQL makes s read every page in SQL, never from its in-memory copies
// of the list; ListFromMemory makes it use them on either engine; so tests
// can compare the two.
func ListInSQL(s *Service)      { s.listFromMemory = false }
func ListFromMemory(s *Service) { s.listFromMemory = true }

// LeaveBacklogsBehind makes every reader hand its backlog of due rows to the
// refresh behind after one batch, and holds those refreshes until the
// returned function is called.
func LeaveBacklogsBehind(s *Service) (release func()) {
	s.readerRows = 1
	s.holdBehind = make(chan struct{})
	return func() { close(s.holdBehind) }
}

// SetReaderRows sets how many due rows a reader refreshes before handing
// the rest to the refresh behind.
func SetReaderRows(s *Service, n int) { s.readerRows = n }

// HoldWholeRefreshes holds every refresh of all due rows (the refresh
// behind, the digest's) once it has started, until release is called.
func HoldWholeRefreshes(s *Service) (release func()) {
	s.holdBehind = make(chan struct{})
	return func() { close(s.holdBehind) }
}

// RefreshingWhole reports whether a refresh of all the agency's due rows
// runs in this process.
func RefreshingWhole(s *Service, agencyID string) bool {
	_, ok := s.behind.Load(agencyID)
	return ok
}

// RefreshBatchSize is the rows one transaction of a refresh recomputes,
// ReaderBatchSize the same for a reader.
const (
	RefreshBatchSize = refreshBatchSize
	ReaderBatchSize  = readerBatchSize
)

// StateSQL is the state every page from memory reads (TestStatePlan).
const StateSQL = stateSQL

// Plain returns p without the JSON its items keep from the copy, after
// checking that each item's kept JSON is what writing the item gives: so
// that a page from memory compares with one read in SQL (reflect.DeepEqual)
// and the kept bytes are checked on every such comparison.
func Plain(t interface{ Errorf(string, ...any) }, p ClientPage) ClientPage {
	if p.Clients == nil {
		return p
	}
	out := p
	out.Clients = make([]ClientListItem, len(p.Clients))
	for i, it := range p.Clients {
		raw := it.raw
		it.raw = nil
		if raw != nil {
			if fresh, err := it.AppendJSON(nil); err != nil || string(fresh) != string(raw) {
				t.Errorf("client %s: kept JSON %s, written %s (%v)", it.ID, raw, fresh, err)
			}
		}
		out.Clients[i] = it
	}
	return out
}

// DeltaSQL and DeltaArgs are the copy's delta statement and its arguments
// as loadDelta runs it (TestDeltaPlanAsRun).
var (
	DeltaSQL  = deltaSQL
	DeltaArgs = deltaArgs
)

// JSON is the page as the API writes it.
func JSON(t interface{ Fatal(...any) }, p ClientPage) string {
	b, err := p.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// DueRowsArgs are DueRowsSQL's arguments as refreshBatch passes them.
var DueRowsArgs = dueRowsArgs

// ActivityScores returns, per client, its score's parts, next change, last
// login and last activity at now, from the activity the refresh reads
// (activityNow) or, with all, from every event of the window (activityOf).
func ActivityScores(ctx context.Context, q db.Querier, ids []string, now time.Time, churnDays int, all bool) (map[string]string, error) {
	acts, err := activityNow(ctx, q, ids, now)
	if all {
		acts, err = activityOf(ctx, q, ids, now, healthWindow)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for id, a := range acts {
		out[id] = ScoreOf(a.Activity, a.lastLogin, a.lastActive, now, churnDays)
	}
	return out, nil
}

// ScoreOf is how ActivityScores writes one client's score, next change,
// last login and last activity.
func ScoreOf(a health.Activity, lastLogin, lastActive time.Time, now time.Time, churnDays int) string {
	p, _ := json.Marshal(health.Score(a, now, churnDays))
	return fmt.Sprintf("%s next %s last login %s last active %s", p,
		health.NextChange(a, now, churnDays), lastLogin, lastActive)
}

// HealthWindow is how far back the score reads.
const HealthWindow = healthWindow

// ActivityRead is one statement of activityNow, with its arguments.
type ActivityRead struct {
	SQL  string
	Args []any
}

// ActivityReads are activityNow's statements for the clients at now.
func ActivityReads(d db.Dialect, ids []string, now time.Time) []ActivityRead {
	var out []ActivityRead
	for _, q := range []struct {
		sql  string
		args []any
	}{{ActivityWindowSQL(d), []any{ids, ids, now.Add(-healthWindow), now, now.Add(-viewWindow), now}},
		{ActivityLastsSQL(d), []any{now, now, now.Add(-healthWindow), ids}}} {
		sql, args, err := clientsArg(d, q.sql, q.args...)
		if err != nil {
			panic(err)
		}
		out = append(out, ActivityRead{sql, args})
	}
	return out
}

// ActivityNow is the refresh's read of the clients' activity at now.
func ActivityNow(ctx context.Context, q db.Querier, ids []string, now time.Time) (int, error) {
	acts, err := activityNow(ctx, q, ids, now)
	return len(acts), err
}
