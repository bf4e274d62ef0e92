package db

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose own tool does
// a better job than we could.
var ErrBackupPostgres = errors.New("on PostgreSQL, back up with pg_dump (e.g. pg_dump --format=custom \"$LIAISON_DATABASE_URL\" > liaison.dump)")

// Backup writes a consistent snapshot of the SQLite database to dest with
// VACUUM INTO, which reads one transaction's view while writers go on. dest
// must not exist.
func (d *DB) Backup(ctx context.Context, dest string) error {
	if d.dialect != SQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", dest)
	}
	if strings.ContainsRune(dest, 0) {
		return fmt.Errorf("invalid file name")
	}
	_, err := d.write.ExecContext(ctx, `VACUUM INTO ?`, dest)
	return err
}
