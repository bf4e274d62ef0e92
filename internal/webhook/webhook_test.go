package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/webhook"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// TestDialRefusesPrivateAddresses: in production a delivery to a loopback
// address is refused when connecting, whether the URL names the address or
// a host name that resolves to it (localhost), so the check is on the
// address actually dialled. The rows are written around Create, as a
// hostname rebound after registration would be.
func TestDialRefusesPrivateAddresses(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer srv.Close()
		fake := clock.NewFake(time.Now())
		svc := webhook.New(d, fake.Now, webhook.Config{Timeout: 2 * time.Second})
		now := fake.Now()
		port := srv.URL[strings.LastIndex(srv.URL, ":"):]
		if _, err := d.Exec(ctx, `INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES ('acc_a', 'agency', 'A', ?, ?)`, now, now); err != nil {
			t.Fatal(err)
		}
		for i, u := range []string{srv.URL + "/hook", "http://localhost" + port + "/hook"} {
			if _, err := d.Exec(ctx, `INSERT INTO webhook_endpoints (id, agency_id, url, events, secret, created_at, updated_at)
				VALUES (?, 'acc_a', ?, '["user.removed"]', 'whsec_test', ?, ?)`, "whk_"+string(rune('a'+i)), u, now, now); err != nil {
				t.Fatal(err)
			}
		}
		// An audited change that is an event queues one delivery per endpoint.
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			return audit.AppendAs(ctx, tx, now, &authz.Actor{UserID: "usr_x"}, audit.Entry{AccountID: "acc_a", Action: "member.remove", TargetID: "usr_y"})
		}); err != nil {
			t.Fatal(err)
		}
		var jobs []string
		if err := d.Select(ctx, &jobs, `SELECT payload FROM jobs WHERE kind = ?`, outbox.Job); err != nil || len(jobs) != 2 {
			t.Fatalf("jobs %v %v", jobs, err)
		}
		for _, p := range jobs {
			if err := svc.Handle(ctx, json.RawMessage(p)); err != nil {
				t.Fatal(err)
			}
		}
		var rows []struct {
			Status    string `db:"status"`
			LastError string `db:"last_error"`
			Attempts  int    `db:"attempts"`
		}
		if err := d.Select(ctx, &rows, `SELECT status, last_error, attempts FROM webhook_deliveries`); err != nil || len(rows) != 2 {
			t.Fatalf("deliveries %v %v", rows, err)
		}
		for _, r := range rows {
			if r.Status != webhook.Pending || r.Attempts != 1 || !strings.Contains(r.LastError, "refused to connect") {
				t.Errorf("delivery %+v", r)
			}
		}
		if hits.Load() != 0 {
			t.Fatalf("the loopback server got %d requests", hits.Load())
		}
	})
}
