package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// schema is what the drift test compares between the engines: each table's
// columns (canonical type, nullability), and the names of the indexes, views
// and triggers. Indexes that stand for a constraint (primary keys, UNIQUE)
// are part of their table's definition on both engines and are left out.
type schema struct {
	columns  map[string]string // "table.column" → "type null|not null"
	indexes  []string
	views    []string
	triggers []string
}

// equivalentTypes maps each engine's declared types to one name. SQLite's
// INTEGER holds 64 bits, so PostgreSQL's integer and bigint are both int.
var equivalentTypes = map[string]string{
	"text": "text", "integer": "int", "bigint": "int", "smallint": "int",
	"boolean": "bool", "timestamp": "time", "timestamp with time zone": "time", "timestamptz": "time",
	"real": "real", "double precision": "real", "blob": "bytes", "bytea": "bytes",
}

// engineOnly are the things one engine has by design, with the reason.
var engineOnly = map[string]string{
	// pg_trgm: a search reads the rows that match; SQLite scans the
	// agency's rows (00010).
	"client_list_search_trgm": "postgres",
	// NOTIFY at commit tells every other process on the database that
	// sessions, users, memberships, accounts, agency_clients or links
	// changed, so their session caches drop what they hold (00040); a
	// SQLite file has one process, which invalidates its cache itself.
	"accounts_auth_changed":       "postgres",
	"agency_clients_auth_changed": "postgres",
	"links_auth_changed":          "postgres",
	"memberships_auth_changed":    "postgres",
	"sessions_auth_changed":       "postgres",
	"users_auth_changed":          "postgres",
	// A change of the client list's state notifies the other processes
	// and tells the writing one (00059); on SQLite one process, which
	// sees its own writes, serves the file.
	"agency_settings_list_notify":               "postgres",
	"agency_settings_list_truncate":             "postgres",
	"client_list_access_versions_list_notify":   "postgres",
	"client_list_access_versions_list_truncate": "postgres",
	"client_list_agency_versions_list_notify":   "postgres",
	"client_list_agency_versions_list_truncate": "postgres",
	"client_list_due_list_notify":               "postgres",
	"client_list_due_list_truncate":             "postgres",
	"client_list_stamps_list_notify":            "postgres",
	"client_list_stamps_list_truncate":          "postgres",
}

// triggerName is a trigger's name with the engine's own way of spelling one
// trigger left out. SQLite has no trigger for several events, so a
// PostgreSQL trigger "x" (AFTER INSERT OR UPDATE OR DELETE) is SQLite's
// x_insert, x_update, x_delete; and the list's version triggers, deferred
// to commit on PostgreSQL (…_list_changed), are per event on SQLite
// (…_list_insert, …).
func triggerName(d db.Dialect, name string) string {
	if d == db.SQLite {
		for _, suffix := range []string{"_insert", "_update", "_delete"} {
			if s, ok := strings.CutSuffix(name, suffix); ok {
				name = s
				break
			}
		}
	}
	if s, ok := strings.CutSuffix(name, "_changed"); ok && strings.HasSuffix(s, "_list") {
		name = s
	}
	return name
}

func readSchema(t *testing.T, d *db.DB) schema {
	t.Helper()
	ctx := context.Background()
	out := schema{columns: map[string]string{}}
	type col struct {
		Table   string `db:"tbl"`
		Column  string `db:"col"`
		Type    string `db:"typ"`
		NotNull bool   `db:"notnull"`
	}
	var cols []col
	var indexes, views, triggers []string
	var err error
	if d.Dialect() == db.SQLite {
		err = d.Select(ctx, &cols, `SELECT m.name AS tbl, p.name AS col, LOWER(p.type) AS typ, (p."notnull" OR p.pk > 0) AS "notnull"
			FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`)
		if err == nil {
			err = d.Select(ctx, &indexes, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
		}
		if err == nil {
			err = d.Select(ctx, &views, `SELECT name FROM sqlite_master WHERE type = 'view'`)
		}
		if err == nil {
			err = d.Select(ctx, &triggers, `SELECT name FROM sqlite_master WHERE type = 'trigger'`)
		}
	} else {
		err = d.Select(ctx, &cols, `SELECT c.table_name AS tbl, c.column_name AS col, c.data_type AS typ, c.is_nullable = 'NO' AS "notnull"
			FROM information_schema.columns c JOIN information_schema.tables t
				ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
			WHERE c.table_schema = current_schema() AND c.table_name <> 'goose_db_version'`)
		if err == nil {
			err = d.Select(ctx, &indexes, `SELECT i.indexname FROM pg_indexes i WHERE i.schemaname = current_schema()
				AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace)`)
		}
		if err == nil {
			err = d.Select(ctx, &views, `SELECT table_name FROM information_schema.views WHERE table_schema = current_schema()`)
		}
		if err == nil {
			err = d.Select(ctx, &triggers, `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
				WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace`)
		}
	}
	if err != nil {
		t.Fatalf("%s: read the schema: %v", d.Dialect(), err)
	}
	for _, c := range cols {
		typ, ok := equivalentTypes[c.Type]
		if !ok {
			t.Errorf("%s: %s.%s has type %q, which the drift test does not know: add it to equivalentTypes", d.Dialect(), c.Table, c.Column, c.Type)
			typ = c.Type
		}
		null := "null"
		if c.NotNull {
			null = "not null"
		}
		out.columns[c.Table+"."+c.Column] = typ + " " + null
	}
	for i, name := range triggers {
		triggers[i] = triggerName(d.Dialect(), name)
	}
	slices.Sort(indexes)
	slices.Sort(views)
	slices.Sort(triggers)
	out.indexes, out.views, out.triggers = indexes, views, slices.Compact(triggers)
	return out
}

// TestSchemasMatchAcrossEngines migrates both engines and compares what
// they built: a step written for one engine and forgotten (or written
// differently) on the other fails here, not in production.
func TestSchemasMatchAcrossEngines(t *testing.T) {
	s := readSchema(t, testkit.Open(t, db.SQLite))
	p := readSchema(t, testkit.Open(t, db.Postgres))
	diff := func(what string, a, b []string) {
		for _, x := range a {
			if !slices.Contains(b, x) && engineOnly[x] != "sqlite" {
				t.Errorf("%s %s is on SQLite only", what, x)
			}
		}
		for _, x := range b {
			if !slices.Contains(a, x) && engineOnly[x] != "postgres" {
				t.Errorf("%s %s is on PostgreSQL only", what, x)
			}
		}
	}
	keys := func(m map[string]string) []string {
		var k []string
		for c := range m {
			k = append(k, c)
		}
		slices.Sort(k)
		return k
	}
	diff("column", keys(s.columns), keys(p.columns))
	for c, st := range s.columns {
		if pt, ok := p.columns[c]; ok && pt != st {
			t.Errorf("column %s: SQLite %s, PostgreSQL %s", c, st, pt)
		}
	}
	diff("index", s.indexes, p.indexes)
	diff("view", s.views, p.views)
	diff("trigger", s.triggers, p.triggers)
	if len(s.columns) < 50 || len(s.triggers) < 10 || len(s.indexes) < 10 {
		t.Fatalf("the schema read looks empty: %d columns, %d triggers, %d indexes", len(s.columns), len(s.triggers), len(s.indexes))
	}
	t.Logf("%d columns, %d indexes, %d views, %d triggers compared", len(s.columns), len(s.indexes), len(s.views), len(s.triggers))
}
