package db

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Each engine has its own numbered migration files; step N means the same
// thing in both directories (a test checks that the numbers match).
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrationFS returns the migration files of one engine.
func MigrationFS(d Dialect) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(d))
	if err != nil {
		panic(err)
	}
	return sub
}

func (d *DB) provider() (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	// Capabilities are built on branches that each take the next free step
	// number, so a database may have run a later step before an earlier one
	// lands; steps that do not depend on each other then apply out of order
	// instead of refusing to start.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if d.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several `liaison serve` may start at once on one database: the
		// advisory lock lets exactly one of them migrate. The lock is per
		// schema, so deployments (and tests) in other schemas of the same
		// database do not wait for each other; a waiter retries each second.
		var schema string
		if err := d.write.Get(&schema, `SELECT current_schema()`); err != nil {
			return nil, err
		}
		h := fnv.New64a()
		h.Write([]byte("liaison-migrations:" + schema))
		l, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	return goose.NewProvider(dialect, d.write.DB, MigrationFS(d.dialect), opts...)
}

// Migrate applies every pending migration and returns how many ran.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	p, err := d.provider()
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrations: %w", err)
	}
	return len(res), nil
}

// Pending reports whether migrations remain to be applied (for /readyz).
func (d *DB) Pending(ctx context.Context) (bool, error) {
	p, err := d.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// CheckWrites reports whether the database takes writes now: it rewrites
// the newest row of goose's version table with its own values and commits,
// so a read-only database, a full disk (the commit writes the log) or a
// failing connection is an error, where a ping would pass. /readyz calls it.
func (d *DB) CheckWrites(ctx context.Context) error {
	return d.InTx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE `+goose.DefaultTablename+` SET is_applied = is_applied
			WHERE id = (SELECT MAX(id) FROM `+goose.DefaultTablename+`)`)
		return err
	})
}
