package invite

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Branding is how an invitation presents itself: in its e-mail and on its
// landing, sign-up and log-in pages — as the agency's portal (SPEC §7): its
// portal name, colour, welcome message and sender. The pages add the
// agency's theme and logo (web/invite_pages.go); the e-mail gets its logo
// and links on the agency's custom domain from the mailer's brander
// (BrandAgencyID).
type Branding struct {
	AgencyID   string `json:"-"`
	AgencyName string `json:"agency_name"`
	PortalName string `json:"portal_name" doc:"The name the agency's portal goes by"`
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
	p, name, err := branding.Load(ctx, q, agencyID)
	if errs.Is(err, errs.NotFound) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	b.AgencyID, b.AgencyName, b.PortalName, b.SenderName, b.Welcome = agencyID, name, name, name, p.WelcomeMessage
	if p.PortalName != "" {
		b.PortalName, b.SenderName = p.PortalName, p.PortalName
	}
	if p.SenderName != "" {
		b.SenderName = p.SenderName
	}
	if p.PrimaryColor != "" {
		b.Color = p.PrimaryColor
	}
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
		FromName: b.SenderName, BrandAgencyID: b.AgencyID, BrandClientID: r.AccountID, Data: map[string]any{
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

// TokenAgency is the agency of the invitation a token belongs to, whatever
// became of it, so that the pages of its link (the log-in step, "this
// invitation no longer works") wear its brand; "" for an unknown token or
// an invitation no agency sent.
func (s *Service) TokenAgency(ctx context.Context, token string) (string, error) {
	r, _, err := byToken(ctx, s.db, token)
	if errs.Is(err, errs.NotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return str(r.AgencyID), nil
}
