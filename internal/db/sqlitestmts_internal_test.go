package db

import (
	"strings"
	"testing"
)

// Which texts the write connection keeps prepared (sqlitestmts.go).
func TestCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                                                       true,
		"\n\t  insert INTO t (a) VALUES (?)":                             true,
		`UPDATE t SET a = ? WHERE b = ?;`:                                true,
		`WITH x AS (SELECT 1) SELECT * FROM x`:                           true,
		`DELETE FROM t WHERE a IN (` + Placeholders(maxStmtArgs) + `)`:   true,
		`DELETE FROM t WHERE a IN (` + Placeholders(maxStmtArgs+1) + `)`: false,
		`SELECT '` + strings.Repeat("x", maxStmtLen) + `'`:               false,
		`UPDATE t SET a = 1; UPDATE t SET b = 2`:                         false,
		`CREATE TABLE t (a)`:                                             false,
		`PRAGMA query_only = true`:                                       false,
		`VACUUM INTO ?`:                                                  false,
		`-- a comment
SELECT 1`: false,
		`SELECT`: false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%.40q) = %v, want %v", q, got, want)
		}
	}
}
