package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image/png"
	"time"

	"golang.org/x/image/webp"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Per-client branding (SPEC §12 "Client groups and per-client branding",
// issue 24): an agency's admin gives one client's portal its own portal name
// and logos — light, dark, mobile and full screen — e.g. to co-brand. Each
// field left unset falls back to the agency's branding (the full-screen
// logo to the light one). It is keyed by (agency, client): a client shared
// by two agencies is branded by each on its own brands, and neither sees
// the other's. The client's portal (ClientPortal), its PDF exports and its
// e-mails (ForClient, DocumentLogoFor) wear it. Logos follow the agency
// logo rules (CheckImage: PNG, JPEG or WebP, no SVG) and are served from
// the same content-hashed URLs (serveLogo).

// ClientSlots are the logo slots of a client's branding.
var ClientSlots = []string{"light", "dark", "mobile", "fullscreen"}

func validClientSlot(s string) bool { return validSlot(s) || s == "fullscreen" }

// ClientLogos are the URLs of a client's own logos ("" when none).
type ClientLogos struct {
	Light      string `json:"light"`
	Dark       string `json:"dark"`
	Mobile     string `json:"mobile"`
	Fullscreen string `json:"fullscreen"`
}

// ClientBranding is one agency's branding of one client's portal
// (GET/PUT /api/v1/agencies/{id}/clients/{client_id}/branding).
type ClientBranding struct {
	AgencyID   string      `json:"agency_id"`
	ClientID   string      `json:"client_id"`
	PortalName string      `json:"portal_name" doc:"The client portal's name; empty: the agency's portal name"`
	Logos      ClientLogos `json:"logos" doc:"The client's own logos; empty: the agency's"`
	// Effective is what the client's portal shows, after falling back
	// field by field to the agency's branding.
	Effective struct {
		PortalName string      `json:"portal_name"`
		Logos      ClientLogos `json:"logos"`
	} `json:"effective"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// clientSide checks a relation to a client through one agency (CheckClientOf).
func clientSide(rel authz.Relation, action authz.Action) (agencyID, clientID string, err error) {
	if !rel.Visible() || rel.AccountKind != "client" || rel.AgencyID == "" {
		return "", "", errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return "", "", errs.ErrForbidden
	}
	return rel.AgencyID, rel.AccountID, nil
}

// clientOwn reads the client's own name and logos as the agency set them.
func clientOwn(ctx context.Context, q db.Querier, agencyID, clientID string) (string, ClientLogos, *time.Time, error) {
	var p struct {
		Name      string  `db:"portal_name"`
		UpdatedAt db.Time `db:"updated_at"`
	}
	err := q.Get(ctx, &p, `SELECT portal_name, updated_at FROM client_portal WHERE agency_id = ? AND client_id = ?`, agencyID, clientID)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return "", ClientLogos{}, nil, err
	}
	var rows []struct {
		Slot        string `db:"slot"`
		Hash        string `db:"hash"`
		ContentType string `db:"content_type"`
	}
	if err := q.Select(ctx, &rows, `SELECT slot, hash, content_type FROM client_logos WHERE agency_id = ? AND client_id = ?`,
		agencyID, clientID); err != nil {
		return "", ClientLogos{}, nil, err
	}
	var l ClientLogos
	for _, r := range rows {
		u := LogoPath + r.Hash + "." + extOf(r.ContentType)
		switch r.Slot {
		case "light":
			l.Light = u
		case "dark":
			l.Dark = u
		case "mobile":
			l.Mobile = u
		case "fullscreen":
			l.Fullscreen = u
		}
	}
	return p.Name, l, p.UpdatedAt.Ptr(), nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// overlay puts a client's own branding over its agency's brand, field by
// field. A client logo for light replaces the agency's logos only where the
// client set none of its own for the slot: an agency's mobile logo stays
// when the client gave only a light one.
func overlay(b Brand, name string, l ClientLogos) Brand {
	if name != "" && b.SenderName == b.Name { // the sender was the portal name by default
		b.SenderName = name
	}
	b.Name = or(name, b.Name)
	b.Logos.Light = or(l.Light, b.Logos.Light)
	b.Logos.Dark = or(l.Dark, b.Logos.Dark)
	b.Logos.Mobile = or(l.Mobile, b.Logos.Mobile)
	b.FullscreenLogo = or(l.Fullscreen, b.Logos.Light)
	b.ClientBranded = name != "" || l != (ClientLogos{})
	return b
}

// withClient is the agency's brand as one client's portal shows it.
func (s *Service) withClient(ctx context.Context, q db.Querier, b Brand, clientID string) (Brand, error) {
	b.FullscreenLogo = b.Logos.Light
	if clientID == "" || !b.Branded() {
		return b, nil
	}
	name, l, _, err := clientOwn(ctx, q, b.AgencyID, clientID)
	if err != nil {
		return Brand{}, err
	}
	return overlay(b, name, l), nil
}

// ForClient is an agency's brand as one client sees it: the client's own
// branding over the agency's (the PDF exports and e-mails of the client).
func (s *Service) ForClient(ctx context.Context, agencyID, clientID string) (Brand, error) {
	b, err := s.brand(ctx, s.db, agencyID)
	if err != nil {
		return Brand{}, err
	}
	return s.withClient(ctx, s.db, b, clientID)
}

// ClientBrandingOf returns the agency's branding of the client.
func (s *Service) ClientBrandingOf(ctx context.Context, rel authz.Relation) (ClientBranding, error) {
	agencyID, clientID, err := clientSide(rel, authz.ClientBrandingRead)
	if err != nil {
		return ClientBranding{}, err
	}
	return s.clientBranding(ctx, s.db, agencyID, clientID)
}

func (s *Service) clientBranding(ctx context.Context, q db.Querier, agencyID, clientID string) (ClientBranding, error) {
	name, l, at, err := clientOwn(ctx, q, agencyID, clientID)
	if err != nil {
		return ClientBranding{}, err
	}
	b, err := s.brand(ctx, q, agencyID)
	if err != nil {
		return ClientBranding{}, err
	}
	eff := overlay(b, name, l)
	out := ClientBranding{AgencyID: agencyID, ClientID: clientID, PortalName: name, Logos: l, UpdatedAt: at}
	out.Effective.PortalName = eff.Name
	out.Effective.Logos = ClientLogos{Light: eff.Logos.Light, Dark: eff.Logos.Dark, Mobile: eff.Logos.Mobile, Fullscreen: eff.FullscreenLogo}
	return out, nil
}

// PutClientBranding sets the client's portal name ("" falls back to the
// agency's); nil keeps it. Agency admins only; audited on the agency and
// on the client.
func (s *Service) PutClientBranding(ctx context.Context, a *authz.Actor, rel authz.Relation, portalName *string) (ClientBranding, error) {
	agencyID, clientID, err := clientSide(rel, authz.ClientBrandingManage)
	if err != nil {
		return ClientBranding{}, err
	}
	var out ClientBranding
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		before, _, _, err := clientOwn(ctx, tx, agencyID, clientID)
		if err != nil {
			return err
		}
		name := before
		if portalName != nil {
			if name, err = cleanLine("portal_name", *portalName, MaxPortalName); err != nil {
				return err
			}
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO client_portal (agency_id, client_id, portal_name, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (agency_id, client_id) DO UPDATE SET portal_name = excluded.portal_name, updated_at = excluded.updated_at`,
			agencyID, clientID, name, now); err != nil {
			return err
		}
		if name != before {
			if err := recordClient(ctx, tx, now, a, agencyID, clientID, "client.branding.update",
				map[string]any{"portal_name": before}, map[string]any{"portal_name": name}); err != nil {
				return err
			}
		}
		out, err = s.clientBranding(ctx, tx, agencyID, clientID)
		return err
	})
	return out, err
}

// UploadClientLogo checks an image (CheckImage) and makes it the client's
// logo for slot.
func (s *Service) UploadClientLogo(ctx context.Context, a *authz.Actor, rel authz.Relation, slot string, body []byte) (ClientBranding, error) {
	agencyID, clientID, err := clientSide(rel, authz.ClientBrandingManage)
	if err != nil {
		return ClientBranding{}, err
	}
	if !validClientSlot(slot) {
		return ClientBranding{}, errs.InvalidField("slot", "The logo slot is light, dark, mobile or fullscreen.")
	}
	img, err := CheckImage(body)
	if err != nil {
		return ClientBranding{}, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var out ClientBranding
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO client_logos (agency_id, client_id, slot, hash, content_type, width, height, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, client_id, slot) DO UPDATE SET hash = excluded.hash,
			content_type = excluded.content_type, width = excluded.width, height = excluded.height, body = excluded.body,
			created_at = excluded.created_at`, agencyID, clientID, slot, hash, img.ContentType, img.Width, img.Height, body, now); err != nil {
			return err
		}
		after := map[string]any{"slot": slot, "hash": hash, "content_type": img.ContentType, "width": img.Width,
			"height": img.Height, "bytes": len(body)}
		if err := recordClient(ctx, tx, now, a, agencyID, clientID, "client.branding.logo.upload", nil, after); err != nil {
			return err
		}
		out, err = s.clientBranding(ctx, tx, agencyID, clientID)
		return err
	})
	return out, err
}

// DeleteClientLogo removes the client's logo for slot: the agency's shows
// again.
func (s *Service) DeleteClientLogo(ctx context.Context, a *authz.Actor, rel authz.Relation, slot string) error {
	agencyID, clientID, err := clientSide(rel, authz.ClientBrandingManage)
	if err != nil {
		return err
	}
	if !validClientSlot(slot) {
		return errs.InvalidField("slot", "The logo slot is light, dark, mobile or fullscreen.")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM client_logos WHERE agency_id = ? AND client_id = ? AND slot = ?`, agencyID, clientID, slot)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return recordClient(ctx, tx, s.now(), a, agencyID, clientID, "client.branding.logo.delete", map[string]any{"slot": slot}, nil)
	})
}

// recordClient audits a change of a client's branding on the agency and
// on the client (seen there by this agency and the client only).
func recordClient(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, agencyID, clientID, action string, before, after any) error {
	if err := record(ctx, tx, now, a, agencyID, action, clientID, before, after); err != nil {
		return err
	}
	return recordOn(ctx, tx, now, a, clientID, agencyID, action, clientID, before, after)
}

// recordOn appends an audit entry on accountID made on agencyID's side.
func recordOn(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, accountID, agencyID, action, target string, before, after any) error {
	e := audit.Entry{AccountID: accountID, AgencyID: agencyID, Action: action, TargetID: target, Before: before, After: after}
	return audit.AppendAs(ctx, tx, now, a, e)
}

// DocumentLogoFor is DocumentLogo for one client's documents: the client's
// own light logo when the agency gave it one, else the agency's.
func (s *Service) DocumentLogoFor(ctx context.Context, agencyID, clientID string) ([]byte, string, error) {
	if clientID == "" {
		return s.DocumentLogo(ctx, agencyID)
	}
	var row struct {
		ContentType string `db:"content_type"`
		Body        []byte `db:"body"`
	}
	err := s.db.Get(ctx, &row, `SELECT content_type, body FROM client_logos WHERE agency_id = ? AND client_id = ? AND slot = 'light'`,
		agencyID, clientID)
	if errors.Is(err, db.ErrNoRows) {
		return s.DocumentLogo(ctx, agencyID)
	}
	if err != nil {
		return nil, "", err
	}
	return documentImage(row.ContentType, row.Body)
}

// documentImage turns a stored logo into PNG or JPEG bytes for a PDF.
func documentImage(contentType string, body []byte) ([]byte, string, error) {
	switch contentType {
	case "image/png":
		return body, "PNG", nil
	case "image/jpeg":
		return body, "JPG", nil
	}
	img, err := webp.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, "", nil // checked on upload; draw no logo rather than fail
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "PNG", nil
}

// MailBrandFor is the mail.ClientBrander: the agency's e-mail brand with
// the client's own name and light logo over it.
func (s *Service) MailBrandFor(ctx context.Context, q db.Querier, agencyID, clientID string) (mail.Brand, error) {
	b, err := s.brand(ctx, q, agencyID)
	if err != nil {
		return mail.Brand{}, err
	}
	if b, err = s.withClient(ctx, q, b, clientID); err != nil {
		return mail.Brand{}, err
	}
	mb := mail.Brand{Name: b.Name, Color: b.Primary, BaseURL: b.BaseURL, FromName: b.SenderName, FromAddr: b.SenderEmail}
	if b.Logos.Light != "" {
		mb.Logo = b.BaseURL + b.Logos.Light
	}
	return mb, nil
}
