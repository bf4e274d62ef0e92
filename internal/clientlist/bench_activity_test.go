package clientlist_test

// BenchmarkActivityRead measures the refresh's read of one client's
// activity (activityNow: the two statements of readActivity) for a client
// with 10 events, one with 200 and one with 50,000 (page views of seven pages over the
// last 20 days, one in a hundred a login, one in twenty impersonated: all
// of them in the last 30 days, as in issue 23's mixed soak), and 500
// clients of 10 events each read at once (a batch of the refresh), before
// migration 00060 and after it, in alternation: "before" is a database
// with 00060's indexes replaced by the one it dropped, read with the
// statements of before (oldActivityRead). BenchmarkActivityInsert is the
// write cost of the indexes: one own page view recorded in its own
// transaction (activity.Record: the event and the mark on the client's
// list rows), into a table of 50,010 events, before and after.
//
//	go test -run XXX -bench 'Activity(Read|Insert)' -cpu 2 -count 3 ./internal/clientlist/
//	LIAISON_TEST_DATABASE_URL=postgres://… go test -run XXX -bench 'Activity(Read|Insert)' -cpu 2 -count 3 ./internal/clientlist/

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The statements of readActivity before migration 00060: the second
// read every event the client ever had.
const (
	oldWindowSQL = `SELECT client_id, kind, page, at FROM activity_events
		WHERE client_id IN (?) AND kind = 'login' AND impersonator_id IS NULL AND at > ? AND at <= ?
		UNION ALL SELECT client_id, 'page_view', page, MIN(at) FROM activity_events
		WHERE client_id IN (?) AND kind = 'page_view' AND page IS NOT NULL AND impersonator_id IS NULL AND at > ? AND at <= ?
		GROUP BY client_id, page`
	oldLastsSQL = `SELECT client_id,
		MAX(CASE WHEN kind = 'login' THEN at END) AS last_login, MAX(at) AS last_active,
		MAX(CASE WHEN kind = 'login' AND at <= ? THEN at END) AS login_before
		FROM activity_events WHERE client_id IN (?) AND impersonator_id IS NULL AND at <= ? GROUP BY client_id`
)

func oldActivityRead(ctx context.Context, q db.Querier, ids []string, now time.Time) (int, error) {
	sql, args, err := db.In(oldWindowSQL, ids, now.Add(-clientlist.HealthWindow), now, ids, now.Add(-30*24*time.Hour), now)
	if err != nil {
		return 0, err
	}
	var evs []struct {
		ClientID string  `db:"client_id"`
		Kind     string  `db:"kind"`
		Page     *string `db:"page"`
		At       db.Time `db:"at"`
	}
	if err := q.Select(ctx, &evs, sql, args...); err != nil {
		return 0, err
	}
	if sql, args, err = db.In(oldLastsSQL, now.Add(-clientlist.HealthWindow), ids, now); err != nil {
		return 0, err
	}
	var lasts []struct {
		ClientID    string  `db:"client_id"`
		LastLogin   db.Time `db:"last_login"`
		LastActive  db.Time `db:"last_active"`
		LoginBefore db.Time `db:"login_before"`
	}
	return len(evs), q.Select(ctx, &lasts, sql, args...)
}

// activityDBs are a database before migration 00060's indexes and one
// after, each with the two clients of the benchmarks, analysed.
func activityDBs(b *testing.B, e db.Dialect, now time.Time) (before, after *db.DB) {
	ctx := context.Background()
	before, after = testkit.Open(b, e), testkit.Open(b, e)
	for _, d := range []*db.DB{before, after} {
		if d == before {
			for _, s := range []string{`DROP INDEX activity_events_own`, `DROP INDEX activity_events_own_views`,
				`CREATE INDEX activity_events_client_kind ON activity_events (client_id, kind, at)`} {
				if _, err := d.Exec(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
		}
		seedActivity(b, d, "acc_10", 10, 100, now)
		seedActivity(b, d, "acc_200", 200, 100, now)
		seedActivity(b, d, "acc_50000", 50000, 100, now)
		for i := range 500 {
			seedActivity(b, d, fmt.Sprintf("acc_batch%03d", i), 10, 100, now)
		}
		analyze(b, d)
	}
	return before, after
}

func analyze(t testing.TB, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	if d.Dialect() == db.SQLite {
		if err := d.Optimize(ctx, true); err != nil {
			t.Fatal(err)
		}
	} else if _, err := d.Exec(ctx, `ANALYZE activity_events`); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkActivityRead(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			now := clock.Real().Truncate(time.Second)
			before, after := activityDBs(b, e, now)
			batch := make([]string, 500)
			for i := range batch {
				batch[i] = fmt.Sprintf("acc_batch%03d", i)
			}
			for _, ids := range [][]string{{"acc_10"}, {"acc_200"}, {"acc_50000"}, batch} {
				name := ids[0][4:]
				if len(ids) > 1 {
					name = "500x10"
				}
				b.Run(name+"/before", func(b *testing.B) {
					for range b.N {
						if _, err := oldActivityRead(ctx, before, ids, now); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(name+"/after", func(b *testing.B) {
					for range b.N {
						if _, err := clientlist.ActivityNow(ctx, after, ids, now); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func BenchmarkActivityInsert(b *testing.B) {
	for _, e := range testkit.Engines() {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			before, after := activityDBs(b, e, clock.Real().Truncate(time.Second))
			for _, v := range []struct {
				name string
				d    *db.DB
			}{{"before", before}, {"after", after}} {
				b.Run(v.name, func(b *testing.B) {
					for range b.N {
						if err := v.d.InTx(ctx, func(tx *db.Tx) error {
							return activity.Record(ctx, tx, activity.Event{ClientID: "acc_50000", Kind: activity.PageView,
								Page: "reports", At: clock.Real()})
						}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
