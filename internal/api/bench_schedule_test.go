package api_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// A schedule run for 1,000 recipients (issue 17): every one a user of a
// client that may export, so each e-mail carries the report's PDF (90 days
// of demo data, five widgets). The run must render and queue them all in
// under 30 s on the 2 cores this machine has, never holding a write
// transaction longer than 100 ms. Figures in bench/README.md:
//
//	LIAISON_PERF_STRICT=1 go test -count=1 -run TestScheduleRunThousandRecipients -v ./internal/api/
//
// With LIAISON_PERF_STRICT set, the longest transaction must stay under
// 100 ms. Without it (the everyday suite, on machines shared by many test
// runs), 90 % of them must: one transaction descheduled by an overloaded
// CPU does not fail the suite, a run that holds its transactions long
// does. The longest is logged either way.
func TestScheduleRunThousandRecipients(t *testing.T) {
	if testing.Short() {
		t.Skip("performance test")
	}
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		ctx := context.Background()
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
		admin, _, agencyID := s.Signup(t, "Perf Admin", "perf@agency.example", "Perf Agency", "agency")
		admin = admin.Token(t)
		brand := admin.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Perf"}).Body["id"].(string)
		if _, err := s.Data.Demo(ctx, brand, 90); err != nil {
			t.Fatal(err)
		}
		_, _, clientID := s.Signup(t, "Client Admin", "admin@client.example", "Big Client", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: clientID})
		admin.Must(t, 204, "PUT", "/api/v1/agencies/"+agencyID+"/clients/"+clientID+"/brands/"+brand, nil)
		const n = 1000
		recipients := make([]map[string]any, 0, n)
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			now := s.Now()
			for i := range n {
				uid := id.New(id.User)
				if _, err := tx.Exec(ctx, `INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'x', ?, ?)`,
					uid, fmt.Sprintf("reader%04d@client.example", i), fmt.Sprintf("Reader %d", i), now, now); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, 'member', ?)`, clientID, uid, now); err != nil {
					return err
				}
				recipients = append(recipients, map[string]any{"kind": "user", "user_id": uid})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rep := admin.Must(t, 201, "POST", "/api/v1/brands/"+brand+"/reports", map[string]any{"title": "Perf report", "widgets": []map[string]any{
			{"kind": "tile", "metrics": []string{"sessions"}}, {"kind": "tile", "metrics": []string{"revenue"}},
			{"kind": "line", "metrics": []string{"sessions", "conversions"}, "granularity": "week"},
			{"kind": "table", "by": "dimension", "metrics": []string{"sessions", "revenue"}, "top": 5},
			{"kind": "bar", "metrics": []string{"revenue"}}}}).Body["id"].(string)
		sch := admin.Must(t, 201, "POST", "/api/v1/reports/"+rep+"/schedules", map[string]any{"frequency": "weekly", "weekday": "tuesday",
			"hour": 8, "recipients": recipients})
		next, err := time.Parse(time.RFC3339, sch.Body["next_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		s.Clock.Set(next)
		start := time.Now()
		ran, err := s.App.Schedules.Run(ctx)
		took := time.Since(start)
		if err != nil || ran != 1 {
			t.Fatalf("run: %d %v", ran, err)
		}
		var queued, pdfs int
		if err := s.DB.Get(ctx, &queued, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'scheduled_report'`); err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Get(ctx, &pdfs, `SELECT COUNT(*) FROM mail_attachments`); err != nil {
			t.Fatal(err)
		}
		st := s.App.Schedules.Stats()
		held := append([]time.Duration(nil), st.Held...)
		slices.Sort(held)
		p50, p90 := held[len(held)/2], held[len(held)*9/10]
		t.Logf("%s: %d recipients rendered and queued in %v (%d with the PDF); %d write transactions held: median %v, p90 %v, longest %v",
			e, queued, took.Round(time.Millisecond), pdfs, st.Count, p50.Round(time.Microsecond), p90.Round(time.Microsecond), st.Max.Round(time.Microsecond))
		if queued != n || pdfs != n {
			t.Fatalf("queued %d e-mails, %d PDFs; want %d", queued, pdfs, n)
		}
		if took > 30*time.Second {
			t.Errorf("the run took %v, over 30 s", took)
		}
		if os.Getenv("LIAISON_PERF_STRICT") != "" && st.Max > 100*time.Millisecond {
			t.Errorf("a write transaction was held %v, over 100 ms", st.Max)
		}
		if p90 > 100*time.Millisecond {
			t.Errorf("10 %% of the write transactions were held over %v (100 ms at most)", p90)
		}
	})
}
