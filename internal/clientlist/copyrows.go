package clientlist

// Reading a copy's rows (loadCopy, loadDelta) into the few objects the
// collector walks on every cycle.

import stdsql "database/sql"

// size is about what a row holds in memory.
func (r *memRow) size() int {
	n := 200 + len(r.ID) + len(r.Name) + len(r.SortName) + len(r.Status) + len(r.Brands) + len(r.search) + len(r.Headline)
	if r.Email != nil {
		n += len(*r.Email)
	}
	return n
}

// copyRows scans copyCols (db.RowsScanner): the state, on every row, and
// the client's columns, NULL on the one row of an agency with none and on
// a deleted client's.
type copyRows struct {
	state listState
	rows  []*memRow
	gone  []string // the clients stamped whose row is deleted
}

func (out *copyRows) ScanRows(rows *stdsql.Rows) error {
	// Values, not pointers, as scan targets: a pointer target costs an
	// allocation per column, and a full load scans 17 columns of 10,000
	// rows. The rows share backing arrays for the same reason.
	var (
		stamped, id, name, sortName, status stdsql.NullString
		email, brands, search, headline     stdsql.NullString
		health, users, seats                stdsql.NullInt64
		enabled                             stdsql.NullBool
		keys                                [4]stdsql.NullInt64
		backing                             []memRow
		healths                             []int64
		emails                              []string
		text                                []byte
	)
	for rows.Next() {
		var r memRow
		if err := rows.Scan(&out.state.list, &out.state.rows, &out.state.due, &out.state.dead, &out.state.headline, &stamped, &id, &name, &sortName,
			&email, &status, &health, &r.LastActive, &users, &seats, &brands, &search, &keys[0], &keys[1], &keys[2], &keys[3], &enabled, &headline); err != nil {
			return err
		}
		if !id.Valid {
			if stamped.Valid {
				out.gone = append(out.gone, stamped.String)
			}
			continue
		}
		// A copy lives as long as the process and the collector walks
		// it on every cycle, object by object: a row's texts are one
		// string (the fields are slices of it) and its score sits in an
		// array shared with its neighbours, not eight strings and a
		// pointer of their own (issue 23: the collector's share of the
		// soak's CPU grew with the agency's copy).
		text = append(append(append(append(append(append(append(append(text[:0],
			id.String...), name.String...), sortName.String...), status.String...), brands.String...), search.String...), headline.String...),
			email.String...)
		all := string(text)
		cut := func(f string) string {
			v := all[:len(f)]
			all = all[len(f):]
			return v
		}
		r.ID, r.Name, r.SortName, r.Status = cut(id.String), cut(name.String), cut(sortName.String), cut(status.String)
		r.Brands, r.search, r.Headline = cut(brands.String), cut(search.String), cut(headline.String)
		r.Users, r.Seats, r.Enabled = int(users.Int64), int(seats.Int64), enabled.Bool
		if email.Valid {
			emails = append(roomFor(emails), cut(email.String))
			r.Email = &emails[len(emails)-1]
		}
		// Parsed once per load, not once per page (a bad value is
		// parsed again, and refused, by the page that shows it).
		if m, err := parseHeadline(r.Headline); err == nil {
			r.metrics = m
		}
		if health.Valid {
			healths = append(roomFor(healths), health.Int64)
			r.Health = &healths[len(healths)-1]
		}
		for i, k := range keys {
			r.keys[i] = k.Int64
		}
		backing = append(roomFor(backing), r)
		out.rows = append(out.rows, &backing[len(backing)-1])
	}
	return nil
}

// roomFor returns s, or a new empty array when s is full, for rows whose
// elements are pointed at (never reallocated under them): 1, 2, 4… up to
// 256 elements an array. A row keeps its whole array alive, and a delta's
// rows outlive the delta in the copy: arrays of 16 made every row changed
// since the load hold 16 rows' memory, and the heap grew with the
// agency's changes (issue 23's soak: 15 MB at 4,000 clients).
func roomFor[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return make([]T, 0, min(256, max(1, 2*cap(s))))
}
