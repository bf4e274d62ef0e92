package link

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
)

// CreateClientInput is a client account created by an agency (SPEC §2).
type CreateClientInput struct {
	Name     string
	Seats    *int  // nil: 0, unlimited
	Enabled  *bool // nil: true
	BrandIDs []string
	Access   *AccessInput
}

// CreatedClient is the answer to CreateClient.
type CreatedClient struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind" enum:"client"`
	// Status is "pending" until the client's first user joins (invitations).
	Status    string               `json:"status" enum:"pending,link_invite,active,at_risk,churned,revoked"`
	Seats     int                  `json:"seats" doc:"Most users the client may have; 0 is unlimited"`
	Enabled   bool                 `json:"enabled"`
	Brands    []CreatedClientBrand `json:"brands"`
	LinkID    string               `json:"link_id"`
	CreatedAt time.Time            `json:"created_at"`
}

// CreatedClientBrand is a brand granted to a created client.
type CreatedClientBrand struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CreateClient creates a client account for the agency rel was checked
// against (with authz.ClientCreate), with an active link from the start, the
// agency's settings for it (seats, enabled), its brands and the access list.
// Nobody is a member of the new account yet: its users come by invitation.
func (s *Service) CreateClient(ctx context.Context, rel authz.Relation, actor *authz.Actor, in CreateClientInput) (CreatedClient, error) {
	if !rel.Visible() || rel.AgencyID != "" || rel.AccountKind != "agency" || actor == nil {
		return CreatedClient{}, errs.ErrNotFound
	}
	name, err := account.ValidateName("name", in.Name)
	if err != nil {
		return CreatedClient{}, err
	}
	seats, enabled := 0, true
	if in.Seats != nil {
		seats = *in.Seats
	}
	if seats < 0 || seats > input.MaxSeats {
		return CreatedClient{}, errs.InvalidField("seats", "Use 0 (unlimited) up to %d.", input.MaxSeats)
	}
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	agencyID := rel.AccountID
	var out CreatedClient
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		brands, err := agencyBrands(ctx, tx, agencyID, in.BrandIDs)
		if err != nil {
			return err
		}
		var access AccessInput
		if in.Access != nil {
			if access, err = checkAccess(ctx, tx, agencyID, *in.Access); err != nil {
				return err
			}
		}
		acc, linkID, err := CreateLinkedClient(ctx, tx, now, rel, actor.UserID,
			LinkedClient{Name: name, Seats: seats, Enabled: enabled, AccessAll: access.All})
		if err != nil {
			return err
		}
		if err := writeAccess(ctx, tx, linkID, access); err != nil {
			return err
		}
		brandIDs := make([]string, len(brands))
		for i, b := range brands {
			brandIDs[i] = b.ID
			if _, err := tx.Exec(ctx, `INSERT INTO client_brands (client_id, brand_id, created_at) VALUES (?, ?, ?)`,
				acc.ID, b.ID, now); err != nil {
				return err
			}
		}
		out = CreatedClient{ID: acc.ID, Name: acc.Name, Kind: account.Client, Status: "pending", Seats: seats,
			Enabled: enabled, Brands: brands, LinkID: linkID, CreatedAt: acc.CreatedAt}
		after := map[string]any{"name": acc.Name, "seats": seats, "enabled": enabled, "brand_ids": brandIDs,
			"link_id": linkID, "access": access.view()}
		if err := auditBoth(ctx, tx, now, actor, agencyID, acc.ID, "client.create", acc.ID, nil, after); err != nil {
			return err
		}
		return billing.Sync(ctx, tx, now, agencyID, billing.Change{Cause: billing.CauseClientCreated, RefID: acc.ID, ActorID: actor.UserID})
	})
	return out, err
}

// agencyBrands returns the named brands, which must all be the agency's.
func agencyBrands(ctx context.Context, q db.Querier, agencyID string, ids []string) ([]CreatedClientBrand, error) {
	ids = dedupe(ids)
	out := []CreatedClientBrand{}
	if len(ids) == 0 {
		return out, nil
	}
	query, args, err := db.In(`SELECT id, name FROM brands WHERE agency_id = ? AND id IN (?) ORDER BY name, id`, agencyID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := q.Select(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	if len(rows) != len(ids) {
		return nil, errs.InvalidField("brand_ids", "Choose brands of this agency.")
	}
	for _, r := range rows {
		out = append(out, CreatedClientBrand{ID: r.ID, Name: r.Name})
	}
	return out, nil
}
