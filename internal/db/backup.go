package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ErrBackupPostgres is returned by Backup on PostgreSQL, whose own tool does
// a better job than we could.
var ErrBackupPostgres = errors.New("on PostgreSQL, back up with pg_dump (e.g. pg_dump --format=custom \"$LIAISON_DATABASE_URL\" > liaison.dump)")

// Backup writes a consistent snapshot of the SQLite database to dest with
// VACUUM INTO, which reads one transaction's view while writers go on. dest
// must not exist. The file is readable by its owner only (0600), from the
// moment it exists: it holds every password hash and token hash.
func (d *DB) Backup(ctx context.Context, dest string) (err error) {
	if d.dialect != SQLite {
		return ErrBackupPostgres
	}
	if strings.ContainsRune(dest, 0) {
		return fmt.Errorf("invalid file name")
	}
	// VACUUM INTO writes into an empty file that exists, keeping its mode.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; choose a new file", dest)
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(dest)
		}
	}()
	_, err = d.write.ExecContext(ctx, `VACUUM INTO ?`, dest)
	return err
}
