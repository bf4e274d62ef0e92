package auth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// The hot statements of authentication and login use indexes on a
// database whose statistics db.Optimize gathered: EXPLAIN QUERY PLAN shows
// no full scan of a table. Without the statistics, SQLite walked every
// client account for activity.RecordLogin's membership query (checked
// first, so the test shows what it guards against).
func TestHotStatementPlans(t *testing.T) {
	ctx := context.Background()
	d := testkit.Open(t, db.SQLite)
	seedForPlans(t, d, 2000)
	hot := map[string]string{
		"activity.RecordLogin":    activity.LoginClientsSQL,
		"auth.Authenticate":       auth.SessionSQL(d),
		"auth.userByEmail":        `SELECT id, email, name, is_operator, created_at, password_hash FROM users WHERE email = ?`,
		"auth.firstAccount":       `SELECT account_id FROM memberships WHERE user_id = ? ORDER BY created_at, account_id LIMIT 1`,
		"auth.refuseDisabled":     `SELECT COUNT(*) FROM memberships m WHERE m.user_id = ? AND ` + authz.ClientClosed("m.account_id"),
		"authz.MembershipsSQL(u)": `SELECT ` + authz.MembershipsSQL(db.SQLite, "?"),
		"auth.Sessions":           `SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id`,
		"auth.AuthenticateToken":  `SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
	}
	before, err := d.QueryPlan(ctx, activity.LoginClientsSQL, "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	// The walk of every client account is a SEARCH on accounts' kind, not
	// a SCAN: the login's query must start from the user's memberships.
	startsFromUser := func(plan []string) bool {
		return len(plan) > 0 && strings.Contains(plan[0], "m USING") && strings.Contains(plan[0], "user_id=?")
	}
	if startsFromUser(before) {
		t.Logf("RecordLogin starts from the user's memberships even without statistics: %q", before)
	}
	if err := d.Optimize(ctx, true); err != nil {
		t.Fatal(err)
	}
	for name, q := range hot {
		n := strings.Count(q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = "usr_1"
		}
		plan, err := d.QueryPlan(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "activity.RecordLogin" && !startsFromUser(plan) {
			t.Errorf("RecordLogin does not start from the user's memberships: %q", plan)
		}
		for _, step := range plan {
			if fullScan(step) {
				t.Errorf("%s scans a table: %q (plan %q)", name, step, plan)
			}
		}
	}
}

// fullScan reports a plan step that reads a whole table or index.
// "SCAN CONSTANT ROW" and a scan of a subquery's result are not tables.
func fullScan(step string) bool {
	return strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT ROW")
}

// seedForPlans writes n client accounts with one member each, an agency
// with a few members, and a session per user: the shape of a real database,
// where clients outnumber everything else.
func seedForPlans(t *testing.T, d *db.DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		exec := func(q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err }
		now := "2000-01-01 00:00:00"
		if err := exec(`INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES ('acc_agency', 'agency', 'Agency', ?, ?)`, now, now); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			u, a := fmt.Sprintf("usr_%d", i), fmt.Sprintf("acc_%d", i)
			if err := exec(`INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
				u, u+"@example.com", now, now); err != nil {
				return err
			}
			if err := exec(`INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES (?, 'client', ?, ?, ?)`, a, a, now, now); err != nil {
				return err
			}
			if err := exec(`INSERT INTO memberships (account_id, user_id, role, created_at) VALUES (?, ?, 'admin', ?)`, a, u, now); err != nil {
				return err
			}
			if i%100 == 0 {
				if err := exec(`INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ('acc_agency', ?, 'member', ?)`, u, now); err != nil {
					return err
				}
			}
			if err := exec(`INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
				"ses_"+u, "hash_"+u, u, now, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
