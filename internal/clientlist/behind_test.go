package clientlist_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	benchseed "github.com/liaison-dev/liaison/bench/clientlist/seed"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestLargeBacklogIsRefreshedBehindTheReader: when more rows are due than a
// reader refreshes within its budget (behind.go), the reader answers
// without waiting for them — its page's rows still show the status, score
// and last activity they have now — and one refresh behind it brings every
// stored row to what a full refresh gives.
func TestLargeBacklogIsRefreshedBehindTheReader(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real().UTC().Truncate(1000)
		clients := 2*clientlist.RefreshBatchSize + 100
		res, err := benchseed.Seed(ctx, d, benchseed.Options{Clients: clients, AdminEmail: "admin@example.com", AdminName: "Admin",
			AgencyName: "Backlog Agency", PasswordHash: "x", Seed: 7, Now: now, Events: 6 * clients})
		if err != nil {
			t.Fatal(err)
		}
		scope := authz.ClientScope{AgencyID: res.AgencyID, UserID: res.AdminID, All: true}
		type row struct {
			ClientID   string  `db:"client_id"`
			Status     string  `db:"status"`
			Health     *int64  `db:"health"`
			LastActive db.Time `db:"last_active_at"`
		}
		stored := func() map[string]string {
			var rows []row
			if err := d.Select(ctx, &rows, `SELECT client_id, status, health, last_active_at FROM client_list WHERE agency_id = ?`, res.AgencyID); err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, r := range rows {
				out[r.ClientID] = show(r.Status, r.Health, r.LastActive)
			}
			return out
		}
		dueRows := func() (n int) {
			if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM client_list_due WHERE agency_id = ? AND valid_until <= ?`, res.AgencyID, now); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// What a full refresh stores.
		if err := clientlist.New(d, clock.Real).RefreshDue(ctx, res.AgencyID, clock.Real()); err != nil {
			t.Fatal(err)
		}
		want := stored()
		// Every row stale and due, as after a bulk change.
		for _, q := range []string{`UPDATE client_list SET health = NULL, last_active_at = NULL WHERE agency_id = ?`,
			`UPDATE client_list_due SET valid_until = '1970-01-01 00:00:01' WHERE agency_id = ?`} {
			if _, err := d.Exec(ctx, q, res.AgencyID); err != nil {
				t.Fatal(err)
			}
		}
		svc := clientlist.New(d, clock.Real)
		release := clientlist.LeaveBacklogsBehind(svc)
		page, err := svc.List(ctx, scope, clientlist.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if n := dueRows(); n < clients-clientlist.ReaderBatchSize {
			t.Fatalf("%d rows due after the reader: it refreshed more than one batch", n)
		}
		if len(page.Clients) != 50 {
			t.Fatalf("%d clients on the page", len(page.Clients))
		}
		for _, c := range page.Clients {
			var h *int64
			if c.Health != nil {
				v := int64(c.Health.Score)
				h = &v
			}
			var la db.Time
			if c.LastActiveAt != nil {
				la = db.Time{Time: *c.LastActiveAt, Valid: true}
			}
			if got := show(c.Status, h, la); got != want[c.ID] {
				t.Errorf("client %s on the page while behind: %s, want %s", c.ID, got, want[c.ID])
			}
		}
		release()
		svc.WaitBehind()
		if n := dueRows(); n != 0 {
			t.Fatalf("%d rows still due after the refresh behind", n)
		}
		got := stored()
		for id, w := range want {
			if got[id] != w {
				t.Errorf("client %s after the refresh behind: %s, want %s", id, got[id], w)
			}
		}
	})
}

func show(status string, health *int64, lastActive db.Time) string {
	h := "none"
	if health != nil {
		h = fmt.Sprint(*health)
	}
	la := "never"
	if lastActive.Valid {
		la = lastActive.Time.UTC().Format("2006-01-02T15:04:05.000000")
	}
	return status + " " + h + " " + la
}

// TestReadersLeaveTheWriterToTheDigest: while the digest recomputes every
// due row of an agency (a whole refresh, as at start), a reader of the
// list does not refresh beside it — on SQLite its batches queued for the
// writer behind the digest's, and the first page after a start took a
// second — yet its page's rows show the values they have now; and the
// digest still stores every row.
func TestReadersLeaveTheWriterToTheDigest(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := clock.Real().UTC().Truncate(1000)
		const clients = 150
		res, err := benchseed.Seed(ctx, d, benchseed.Options{Clients: clients, AdminEmail: "admin@example.com", AdminName: "Admin",
			AgencyName: "Digest Agency", PasswordHash: "x", Seed: 11, Now: now, Events: 6 * clients})
		if err != nil {
			t.Fatal(err)
		}
		scope := authz.ClientScope{AgencyID: res.AgencyID, UserID: res.AdminID, All: true}
		if err := clientlist.New(d, clock.Real).RefreshDue(ctx, res.AgencyID, clock.Real()); err != nil {
			t.Fatal(err)
		}
		full, err := clientlist.New(d, clock.Real).List(ctx, scope, clientlist.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, c := range full.Clients {
			want[c.ID] = statusAndScore(c)
		}
		if _, err := d.Exec(ctx, `UPDATE client_list_due SET valid_until = '1970-01-01 00:00:01' WHERE agency_id = ?`, res.AgencyID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE client_list SET health = NULL, last_active_at = NULL WHERE agency_id = ?`, res.AgencyID); err != nil {
			t.Fatal(err)
		}
		dueRows := func() (n int) {
			if err := d.Get(ctx, &n, `SELECT COUNT(*) FROM client_list_due WHERE agency_id = ? AND valid_until <= ?`, res.AgencyID, now); err != nil {
				t.Fatal(err)
			}
			return n
		}
		svc := clientlist.New(d, clock.Real)
		release := clientlist.HoldWholeRefreshes(svc)
		digestErr := make(chan error, 1)
		go func() {
			_, err := svc.Digest(ctx, res.AgencyID, clock.Real(), 10)
			digestErr <- err
		}()
		for i := 0; !clientlist.RefreshingWhole(svc, res.AgencyID); i++ {
			if i > 1e7 {
				t.Fatal("the digest never started a whole refresh")
			}
			runtime.Gosched()
		}
		page, err := svc.List(ctx, scope, clientlist.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if n := dueRows(); n != clients {
			t.Errorf("%d of %d rows due after a reader beside the digest: the reader refreshed", n, clients)
		}
		for _, c := range page.Clients {
			if got := statusAndScore(c); got != want[c.ID] {
				t.Errorf("client %s on the page beside the digest: %s, want %s", c.ID, got, want[c.ID])
			}
		}
		release()
		if err := <-digestErr; err != nil {
			t.Fatal(err)
		}
		if n := dueRows(); n != 0 {
			t.Fatalf("%d rows still due after the digest", n)
		}
	})
}

func statusAndScore(c clientlist.ClientListItem) string {
	if c.Health == nil {
		return c.Status + " none"
	}
	return c.Status + " " + fmt.Sprint(c.Health.Score)
}
