package clientlist_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// TestDeltaPlanAsRun: the statement that brings an agency's copy up to date
// (loadDelta), run as loadDelta runs it on an agency of 4,000 clients, each
// stamped at its own version, with a copy three versions behind, reads the
// stamps after the copy by the (agency, v) index with the version bound,
// and only then the rows and links of those clients: not the agency's
// stamps, rows or links. On PostgreSQL its generic plan (the one every
// prepared statement gets on our connections) could not see that few
// stamps follow the copy and walked them all on every call (issue 23's
// soak); db.FreshPlan in deltaArgs plans it for its values.
func TestDeltaPlanAsRun(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n, behind = 4000, 3
		now := clock.Real()
		series := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) `
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO accounts (id, kind, name, created_at, updated_at) VALUES ('acc_plan', 'agency', 'Plan', ?, ?)`, []any{now, now}},
			{`INSERT INTO accounts (id, kind, name, created_at, updated_at) ` + series +
				`SELECT 'cl_' || i, 'client', 'Client ' || i, ?, ? FROM n`, []any{n, now, now}},
			{`INSERT INTO agency_clients (agency_id, client_id, created_at, updated_at) ` + series + `SELECT 'acc_plan', 'cl_' || i, ?, ? FROM n`, []any{n, now, now}},
			{`INSERT INTO client_list (id, agency_id, client_id, access_all, name, sort_name, email, status, users, seats,
				brands, search, health_desc_key, health_asc_key, active_desc_key, active_asc_key) ` + series +
				`SELECT 'lnk_' || i, 'acc_plan', 'cl_' || i, TRUE, 'Client ' || i, 'client ' || i, NULL, 'active', 1, 0,
				'[]', 'client ' || i, 1, 101, 1, 9223372036854775807 FROM n`, []any{n}},
			{`INSERT INTO client_list_headline (agency_id, client_id, vals) ` + series + `SELECT 'acc_plan', 'cl_' || i, '[]' FROM n`, []any{n}},
			{`INSERT INTO client_list_stamps (agency_id, client_id, v) ` + series + `SELECT 'acc_plan', 'cl_' || i, i FROM n`, []any{n}},
			{`INSERT INTO client_list_agency_versions (agency_id, v) VALUES ('acc_plan', ?)`, []any{n}},
			{`ANALYZE`, nil},
		} {
			if _, err := d.Exec(ctx, q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		// The statement as loadDelta runs it reads the copy's missing rows.
		args := clientlist.DeltaArgs(d, "acc_plan", n-behind)
		var got []struct {
			Stamped string `db:"client_id"`
		}
		if err := d.Select(ctx, &got, `SELECT s.client_id FROM client_list_stamps s WHERE s.agency_id = ? AND s.v > ?`, "acc_plan", n-behind); err != nil || len(got) != behind {
			t.Fatalf("%d stamps after the copy (%v), want %d", len(got), err, behind)
		}
		var plan []string
		if d.Dialect() == db.SQLite {
			p, err := d.QueryPlan(ctx, clientlist.DeltaSQL, args...)
			if err != nil {
				t.Fatal(err)
			}
			plan = p
		} else {
			p, err := d.PostgresPlan(ctx, true, clientlist.DeltaSQL, args...)
			if err != nil {
				t.Fatal(err)
			}
			plan = p
		}
		all := strings.Join(plan, "\n")
		if d.Dialect() == db.SQLite {
			// Stamps by (agency, v) with the bound, then each client's row,
			// link and headline by key: no SCAN (a walk) of any table, the
			// state's one row (v, a constant row) aside.
			if !strings.Contains(all, "SEARCH s USING INDEX client_list_stamps_agency_v (agency_id=? AND v>?)") {
				t.Errorf("the delta does not read just the stamps after the copy:\n%s", all)
			}
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN ") && line != "SCAN v" && line != "SCAN CONSTANT ROW" {
					t.Errorf("the delta walks a table (%s):\n%s", line, all)
				}
			}
			return
		}
		// The stamps after the copy, by (agency, v) with the version bound:
		// three rows; every other read of the agency's tables by an index,
		// once per stamp read.
		var stamps bool
		for i, line := range plan {
			for _, table := range []string{"client_list_stamps s", "client_list l", "agency_clients lac", "client_list_headline lh"} {
				if !strings.Contains(line, " on "+table+" ") {
					continue
				}
				if !strings.Contains(line, "Index Scan") && !strings.Contains(line, "Index Only Scan") {
					t.Errorf("the delta walks %s: %s", table, line)
				}
				if table == "client_list_stamps s" {
					stamps = strings.Contains(line, "client_list_stamps_agency_v") && strings.Contains(line, "rows=3 loops=1") &&
						i+1 < len(plan) && strings.Contains(plan[i+1], "(v > ")
				} else if !strings.Contains(line, "rows=1 loops=3") {
					t.Errorf("the delta reads more of %s than the clients stamped: %s", table, line)
				}
			}
		}
		for _, line := range plan {
			if strings.Contains(line, "Buffers:") {
				t.Logf("blocks read by the delta (top node): %s", strings.TrimSpace(line))
				break
			}
		}
		if !stamps {
			t.Errorf("the delta does not read just the stamps after the copy by (agency, v):\n%s", all)
		}
		if t.Failed() {
			t.Logf("plan:\n%s", all)
		}
	})
}
