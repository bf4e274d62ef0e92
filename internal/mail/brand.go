package mail

import (
	"context"
	"strings"

	"github.com/liaison-dev/liaison/internal/db"
)

// E-mails in an agency's brand (SPEC §7): a caller names the agency on the
// Email (BrandAgencyID), or the request does (WithBrand: a page served on
// the agency's verified custom domain), and Send asks the Brander (set by
// the server: branding.Service.MailBrand) for the sender, name, colour,
// logo and base URL. Links in Data built on LIAISON_BASE_URL move to the
// agency's base URL (its verified custom domain), so callers keep building
// links as they always did.

// Brand is how one agency's e-mails look.
type Brand struct {
	Name, Color, Logo  string // Logo: an absolute URL, or ""
	BaseURL            string // where the agency's links point
	FromName, FromAddr string // FromAddr "" keeps the server's
}

// Brander returns an agency's e-mail brand, reading in q (the caller's
// transaction).
type Brander func(ctx context.Context, q db.Querier, agencyID string) (Brand, error)

// SetBrander installs the brand lookup; without one, e-mails are plain.
func (m *Mailer) SetBrander(b Brander) { m.brander = b }

// ClientBrander returns an agency's e-mail brand as one client's portal
// wears it (per-client branding, issue 24).
type ClientBrander func(ctx context.Context, q db.Querier, agencyID, clientID string) (Brand, error)

// SetClientBrander installs the lookup for e-mails that name a client;
// without one they get the agency's brand.
func (m *Mailer) SetClientBrander(b ClientBrander) { m.clientBrander = b }

type brandKey struct{}

// WithBrand returns ctx naming the agency whose brand e-mails sent during
// the request carry, unless an Email names its own.
func WithBrand(ctx context.Context, agencyID string) context.Context {
	return context.WithValue(ctx, brandKey{}, agencyID)
}

// BrandFrom returns the agency named by WithBrand, or "".
func BrandFrom(ctx context.Context) string { s, _ := ctx.Value(brandKey{}).(string); return s }

// brand applies the agency's brand to e (a copy of its Data).
func (m *Mailer) brand(ctx context.Context, q db.Querier, e *Email) error {
	agencyID := e.BrandAgencyID
	if agencyID == "" {
		agencyID = BrandFrom(ctx)
	}
	if agencyID == "" || m.brander == nil {
		return nil
	}
	var b Brand
	var err error
	if e.BrandClientID != "" && m.clientBrander != nil {
		b, err = m.clientBrander(ctx, q, agencyID, e.BrandClientID)
	} else {
		b, err = m.brander(ctx, q, agencyID)
	}
	if err != nil {
		return err
	}
	data := make(map[string]any, len(e.Data)+4)
	base := strings.TrimRight(m.cfg.BaseURL, "/")
	for k, v := range e.Data {
		if s, ok := v.(string); ok && base != "" && b.BaseURL != "" && strings.HasPrefix(s, base+"/") {
			v = b.BaseURL + strings.TrimPrefix(s, base)
		}
		data[k] = v
	}
	data["BrandName"], data["BrandColor"], data["BaseURL"] = b.Name, b.Color, b.BaseURL
	if b.Logo != "" {
		data["BrandLogo"] = b.Logo
	}
	e.Data = data
	if e.FromName == "" {
		e.FromName = b.FromName
	}
	if e.FromAddr == "" {
		e.FromAddr = b.FromAddr
	}
	return nil
}
