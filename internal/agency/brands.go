package agency

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
)

// Brand is one of an agency's brands (SPEC §7), with the number of clients
// that have access to it.
type Brand struct {
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	Clients   int       `db:"clients" json:"clients" doc:"How many client accounts have access to the brand"`
}

const brandColumns = `b.id, b.name, b.created_at,
	(SELECT COUNT(*) FROM client_brands cb WHERE cb.brand_id = b.id) AS clients FROM brands b`

// BrandFilter selects brands: Q matches part of the name, case-insensitively.
type BrandFilter struct {
	Q string
	Page
}

// Brands lists the agency's brands by name.
func (s *Service) Brands(ctx context.Context, rel authz.Relation, f BrandFilter) ([]Brand, string, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return nil, "", err
	}
	q, args := `SELECT `+brandColumns+` WHERE b.agency_id = ?`, []any{agencyID}
	if term := strings.TrimSpace(f.Q); term != "" {
		// name_key is lower-cased in Go, so is the term: the match is the
		// same on both engines, whatever their collations.
		q += ` AND b.name_key LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscaper.Replace(nameKey(term))+"%")
	}
	q, args, err = keyset(q, args, f.Cursor, "b.name_key", "b.id")
	if err != nil {
		return nil, "", err
	}
	limit := f.limit()
	var rows []Brand
	if err := s.db.Select(ctx, &rows, q+` ORDER BY b.name_key, b.id LIMIT ?`, append(args, limit+1)...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = encodeCursor(nameKey(rows[limit-1].Name), rows[limit-1].ID)
	}
	return rows, next, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Brand returns one brand. The relation is to the brand's agency (authz
// CheckBrand); a brand of another agency is not found.
func (s *Service) Brand(ctx context.Context, rel authz.Relation, brandID string) (Brand, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return Brand{}, err
	}
	return brand(ctx, s.db, agencyID, brandID)
}

func brand(ctx context.Context, q db.Querier, agencyID, brandID string) (Brand, error) {
	var b Brand
	err := q.Get(ctx, &b, `SELECT `+brandColumns+` WHERE b.id = ? AND b.agency_id = ?`, brandID, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return b, errs.ErrNotFound
	}
	return b, err
}

// CreateBrand adds a brand (admins only: brands are agency settings). Names
// are unique in the agency, case-insensitively (409 name_taken).
func (s *Service) CreateBrand(ctx context.Context, a *authz.Actor, rel authz.Relation, name string) (Brand, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Brand{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Brand{}, err
	}
	now := s.now()
	b := Brand{ID: id.New(id.Brand), Name: name, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO brands (id, agency_id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			b.ID, agencyID, name, nameKey(name), now, now)
		if errors.Is(err, db.ErrUnique) {
			return errNameTaken
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx, a, agencyID, "brand.create", b.ID, nil, map[string]any{"name": name})
	})
	return b, err
}

// RenameBrand renames a brand (admins only).
func (s *Service) RenameBrand(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID, name string) (Brand, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Brand{}, err
	}
	if name, err = cleanName(name); err != nil {
		return Brand{}, err
	}
	var out Brand
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRow(ctx, tx, "brands", brandID, agencyID); err != nil {
			return err
		}
		b, err := brand(ctx, tx, agencyID, brandID)
		if err != nil {
			return err
		}
		if b.Name == name {
			out = b
			return nil
		}
		if err := s.renameRow(ctx, tx, a, agencyID, "brands", ", updated_at = ?", "brand.rename", brandID, b.Name, name, s.now()); err != nil {
			return err
		}
		b.Name = name
		out = b
		return nil
	})
	return out, err
}

// DeleteBrand deletes a brand (admins only) and, in the same transaction,
// every client's access to it. The agency's log names the clients that lost
// it; each of those clients' logs records the loss too (SPEC §9: changes to
// a client account are visible to the client).
func (s *Service) DeleteBrand(ctx context.Context, a *authz.Actor, rel authz.Relation, brandID string) error {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRow(ctx, tx, "brands", brandID, agencyID); err != nil {
			return err
		}
		b, err := brand(ctx, tx, agencyID, brandID)
		if err != nil {
			return err
		}
		var clients []string
		if err := tx.Select(ctx, &clients, `DELETE FROM client_brands WHERE brand_id = ? RETURNING client_id`, brandID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM brands WHERE id = ? AND agency_id = ?`, brandID, agencyID); err != nil {
			return err
		}
		before := map[string]any{"name": b.Name, "client_ids": nonNil(clients)}
		if err := s.record(ctx, tx, a, agencyID, "brand.delete", brandID, before, nil); err != nil {
			return err
		}
		for _, c := range clients {
			if err := s.recordFor(ctx, tx, a, agencyID, c, "brand.delete", brandID, map[string]any{"name": b.Name}, nil); err != nil {
				return err
			}
		}
		return billing.Sync(ctx, tx, s.now(), agencyID, billing.Change{Cause: billing.CauseBrandDeleted, RefID: brandID, ActorID: a.UserID})
	})
}
