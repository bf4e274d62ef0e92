// Package clientbilling holds a client account's billing details (SPEC §12
// "Client billing details"): whom and where its agencies invoice — contact
// name and e-mail, company name, postal address, tax ID and purchase-order
// reference, each optional.
//
// Who may read and change them is authz's (BillingDetailsRead/Write, and
// the manage_billing gate on the client's own side); the functions here
// take the checked relation and refuse anything that is not a view of a
// client account, so a call without a check finds nothing. It owns the
// table client_billing_details (migration 00021). The agency's own billing
// (brands, plans, the ledger) is another package's.
//
// A change writes the row and its audit entries on both sides — the client
// account and the agency (or agencies) concerned — in one transaction.
package clientbilling

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// AuditAction is the audit log's name of a change.
const AuditAction = "client.billing_details.update"

// Service is the billing-details domain.
type Service struct {
	db  *db.DB
	now clock.Clock
}

// New returns the service.
func New(d *db.DB, now clock.Clock) *Service { return &Service{db: d, now: now} }

// Person is who last changed the details.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Details are a client's billing details. Unset fields are "".
type Details struct {
	ClientID     string `json:"client_id"`
	ContactName  string `json:"contact_name"`
	ContactEmail string `json:"contact_email"`
	CompanyName  string `json:"company_name"`
	Address      string `json:"address" doc:"Postal address; lines separated by \\n"`
	TaxID        string `json:"tax_id"`
	POReference  string `json:"po_reference"`
	// UpdatedAt and UpdatedBy are null until the first change (UpdatedBy
	// also when that user has been deleted).
	UpdatedAt *time.Time `json:"updated_at"`
	UpdatedBy *Person    `json:"updated_by"`
}

// Change names the fields to replace: nil leaves a field as it is, ""
// clears it.
type Change struct {
	ContactName, ContactEmail, CompanyName, Address, TaxID, POReference *string
}

// Field is one billing-details field: its name (in JSON, forms and errors),
// its label for people, and where it lives in Details and Change.
type Field struct {
	Name, Label string
	get         func(*Details) *string
	change      func(*Change) **string
	rule        rule
}

// Fields are the billing details in display order.
var Fields = []Field{
	{"contact_name", "Contact name", func(d *Details) *string { return &d.ContactName },
		func(c *Change) **string { return &c.ContactName }, rule{max: 200}},
	{"contact_email", "Contact e-mail", func(d *Details) *string { return &d.ContactEmail },
		func(c *Change) **string { return &c.ContactEmail }, rule{max: 254, email: true}},
	{"company_name", "Company name", func(d *Details) *string { return &d.CompanyName },
		func(c *Change) **string { return &c.CompanyName }, rule{max: 200}},
	{"address", "Address", func(d *Details) *string { return &d.Address },
		func(c *Change) **string { return &c.Address }, rule{max: 1000, lines: 10}},
	{"tax_id", "Tax ID", func(d *Details) *string { return &d.TaxID },
		func(c *Change) **string { return &c.TaxID }, rule{max: 64}},
	{"po_reference", "PO reference", func(d *Details) *string { return &d.POReference },
		func(c *Change) **string { return &c.POReference }, rule{max: 100}},
}

// Value is the field's value in d.
func (f Field) Value(d Details) string { return *f.get(&d) }

// Set names the field in c with value v.
func (f Field) Set(c *Change, v string) { *f.change(c) = &v }

// MaxLength is the most characters the field takes.
func (f Field) MaxLength() int { return f.rule.max }

// Multiline reports whether the field takes several lines.
func (f Field) Multiline() bool { return f.rule.lines > 1 }

// clientRel reports whether rel is a checked view of a client account, from
// its own side or an agency's.
func clientRel(rel authz.Relation) bool { return rel.Visible() && rel.AccountKind == "client" }

type row struct {
	ContactName  string  `db:"contact_name"`
	ContactEmail string  `db:"contact_email"`
	CompanyName  string  `db:"company_name"`
	Address      string  `db:"address"`
	TaxID        string  `db:"tax_id"`
	POReference  string  `db:"po_reference"`
	UpdatedAt    db.Time `db:"updated_at"`
	UpdatedBy    *string `db:"updated_by"`
	UpdatedName  *string `db:"updated_name"`
}

func (r row) details(clientID string) Details {
	d := Details{ClientID: clientID, ContactName: r.ContactName, ContactEmail: r.ContactEmail, CompanyName: r.CompanyName,
		Address: r.Address, TaxID: r.TaxID, POReference: r.POReference}
	if r.UpdatedAt.Valid {
		t := r.UpdatedAt.Time.UTC()
		d.UpdatedAt = &t
	}
	if r.UpdatedBy != nil && r.UpdatedName != nil {
		d.UpdatedBy = &Person{ID: *r.UpdatedBy, Name: *r.UpdatedName}
	}
	return d
}

const selectRow = `SELECT b.contact_name, b.contact_email, b.company_name, b.address, b.tax_id, b.po_reference,
	b.updated_at, b.updated_by, u.name AS updated_name
	FROM client_billing_details b LEFT JOIN users u ON u.id = b.updated_by WHERE b.client_id = ?`

func read(ctx context.Context, q db.Querier, clientID string) (Details, error) {
	var r row
	err := q.Get(ctx, &r, selectRow, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return Details{ClientID: clientID}, nil
	}
	if err != nil {
		return Details{}, err
	}
	return r.details(clientID), nil
}

// Get returns the billing details of the client rel was checked against.
func (s *Service) Get(ctx context.Context, rel authz.Relation) (Details, error) {
	if !clientRel(rel) {
		return Details{}, errs.ErrNotFound
	}
	return read(ctx, s.db, rel.AccountID)
}

// Update replaces the fields c names, after validating every one of them
// (the first bad field is an Invalid error naming it, and nothing is
// written). A change that changes nothing writes nothing. Otherwise the
// row and the audit entries — on the client and on the agency side, with
// the changed fields before and after — commit together.
func (s *Service) Update(ctx context.Context, rel authz.Relation, a *authz.Actor, c Change) (Details, error) {
	if !clientRel(rel) || a == nil {
		return Details{}, errs.ErrNotFound
	}
	c, err := Validate(c)
	if err != nil {
		return Details{}, err
	}
	var out Details
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		// The row (kept with a NULL updated_at when nothing changes) is
		// what concurrent changes of one client serialise on.
		if _, err := tx.Exec(ctx, `INSERT INTO client_billing_details (client_id) VALUES (?) ON CONFLICT (client_id) DO NOTHING`,
			rel.AccountID); err != nil {
			return err
		}
		lock := selectRow
		if tx.Dialect() == db.Postgres {
			lock += ` FOR UPDATE OF b`
		}
		var r row
		if err := tx.Get(ctx, &r, lock, rel.AccountID); err != nil {
			return err
		}
		before := r.details(rel.AccountID)
		out = before
		was, set := map[string]string{}, map[string]string{}
		for _, f := range Fields {
			v := *f.change(&c)
			if v == nil || *v == f.Value(before) {
				continue
			}
			was[f.Name], set[f.Name] = f.Value(before), *v
			*f.get(&out) = *v
		}
		if len(set) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE client_billing_details SET contact_name = ?, contact_email = ?, company_name = ?,
			address = ?, tax_id = ?, po_reference = ?, updated_at = ?, updated_by = ? WHERE client_id = ?`,
			out.ContactName, out.ContactEmail, out.CompanyName, out.Address, out.TaxID, out.POReference,
			now, a.UserID, rel.AccountID); err != nil {
			return err
		}
		at := now.UTC()
		out.UpdatedAt = &at
		out.UpdatedBy = &Person{ID: a.UserID, Name: a.Name}
		return s.audit(ctx, tx, now, rel, a, was, set)
	})
	if err != nil {
		return Details{}, err
	}
	return out, nil
}

// audit writes the change on the client and on the agency side: the agency
// the actor acts for (through its link, or the one whose Login As this
// is); for a change by the client's own user, every agency managing it
// through an active link, all of which read the details.
func (s *Service) audit(ctx context.Context, tx *db.Tx, now time.Time, rel authz.Relation, a *authz.Actor, before, after map[string]string) error {
	accounts := []string{rel.AccountID}
	switch {
	case rel.AgencyID != "":
		accounts = append(accounts, rel.AgencyID)
	case a.Impersonating():
		accounts = append(accounts, a.Impersonation.AgencyID)
	default:
		var agencies []string
		if err := tx.Select(ctx, &agencies, `SELECT agency_id FROM links WHERE client_id = ? AND status = 'active'
			ORDER BY agency_id`, rel.AccountID); err != nil {
			return err
		}
		accounts = append(accounts, agencies...)
	}
	for _, acc := range accounts {
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID,
			Action: AuditAction, TargetID: rel.AccountID, IP: a.IP, Before: before, After: after}); err != nil {
			return err
		}
	}
	return nil
}
