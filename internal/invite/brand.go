package invite

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Branding is how an invitation presents itself: in its e-mail and on its
// landing, sign-up and log-in pages. Today it is the agency's name (no
// branding settings exist yet); white-label branding (issue 8) replaces
// Brand below with the agency's portal name, colours, logo, welcome
// message and sender, and every invitation page and e-mail follows, since
// they all read it from here.
type Branding struct {
	AgencyName string `json:"agency_name"`
	PortalName string `json:"portal_name" doc:"The name the portal goes by (today the agency's name)"`
	Color      string `json:"color" doc:"#rrggbb, the brand colour"`
	// Welcome is the message shown after acceptance, when configured.
	Welcome string `json:"welcome_message"`
	// SenderName is the From name of the e-mails.
	SenderName string `json:"-"`
}

// Brand returns the branding of an agency; with no agency (a client that
// no agency manages inviting its own team) the server's defaults.
func Brand(ctx context.Context, q db.Querier, agencyID string) (Branding, error) {
	b := Branding{PortalName: mail.DefaultBrandName, Color: mail.DefaultBrandColor, SenderName: mail.DefaultBrandName}
	if agencyID == "" {
		return b, nil
	}
	var name string
	err := q.Get(ctx, &name, `SELECT name FROM accounts WHERE id = ? AND kind = 'agency'`, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	b.AgencyName, b.PortalName, b.SenderName = name, name, name
	return b, nil
}

// sendMail writes the invitation e-mail (outbox row and delivery job) in tx.
func (s *Service) sendMail(ctx context.Context, tx *db.Tx, r row, url, inviterName string) error {
	b, err := Brand(ctx, tx, str(r.AgencyID))
	if err != nil {
		return err
	}
	expires := ""
	if r.ExpiresAt.Valid {
		expires = r.ExpiresAt.Time.UTC().Format("2 January 2006 at 15:04 UTC")
	}
	return s.mailer.Send(ctx, tx, mail.Email{Template: "invitation", To: r.Email, AccountID: r.AccountID,
		FromName: b.SenderName, Data: map[string]any{
			"BrandName": b.PortalName, "BrandColor": b.Color, "AgencyName": b.AgencyName,
			"InviterName": inviterName, "AccountName": r.AccountName, "Kind": r.Kind, "Role": r.Role,
			"Message": r.Message, "URL": url, "Expires": expires,
		}})
}

// ttl is the expiry of an e-mail invitation of kind for the agency's
// settings (SPEC §4: 14 days for client invitations, 7 for team and staff
// ones, both agency settings).
func ttl(clientDays, teamDays int, kind string) time.Duration {
	if kind == KindClient {
		return time.Duration(clientDays) * 24 * time.Hour
	}
	return time.Duration(teamDays) * 24 * time.Hour
}
