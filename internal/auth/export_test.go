package auth

import "github.com/liaison-dev/liaison/internal/db"

// SessionSQL is Authenticate's statement, for the query-plan test.
func SessionSQL(d *db.DB) string {
	return New(d, nil, nil, nil, nil, Config{}, nil).sessionSQL
}
