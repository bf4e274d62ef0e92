package link

import (
	"context"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/mail"
)

// auditBoth appends the same entry to the agency's and the client's log:
// changes to a link concern both accounts, and each sees only its own log
// (SPEC §9). The entries are the link's agency's (audit.Entry.AgencyID):
// another agency of the client does not read them.
func auditBoth(ctx context.Context, tx *db.Tx, now time.Time, actor *authz.Actor, agencyID, clientID, action, target string, before, after any) error {
	for _, acc := range []string{agencyID, clientID} {
		if _, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: acc, ActorID: actor.UserID, AgencyID: agencyID,
			ImpersonatorID: actor.ImpersonatorID, Action: action, TargetID: target, IP: actor.IP,
			Before: before, After: after}); err != nil {
			return err
		}
	}
	return nil
}

// mailRequest tells the receiving account's admins who asks to link.
func (s *Service) mailRequest(ctx context.Context, tx *db.Tx, sender, target party, actor *authz.Actor) error {
	admins, err := account.Admins(ctx, tx, target.ID)
	if err != nil {
		return err
	}
	for _, a := range admins {
		e := mail.Email{Template: "link_request", To: a.Email, AccountID: target.ID,
			Data: map[string]any{"Name": a.Name, "AccountName": target.Name, "SenderName": sender.Name,
				"SenderKind": sender.Kind, "ActorName": actor.Name, "URL": s.linksURL()}}
		if sender.Kind == "agency" { // a client hears from an agency in its brand (SPEC §7)
			e.BrandAgencyID = sender.ID
		}
		if err := s.mailer.Send(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// mailAnswer tells the admins of the other side than the actor's what became
// of the link: the sender learns of an accept or decline, the receiver of a
// cancelled request, either side of a disconnect.
func (s *Service) mailAnswer(ctx context.Context, tx *db.Tx, l Link, actorSide, status string, actor *authz.Actor) error {
	to, from := l.Client, l.Agency
	if actorSide == "client" {
		to, from = l.Agency, l.Client
	}
	admins, err := account.Admins(ctx, tx, to.ID)
	if err != nil {
		return err
	}
	for _, a := range admins {
		e := mail.Email{Template: "link_answer", To: a.Email, AccountID: to.ID,
			Data: map[string]any{"Name": a.Name, "AccountName": to.Name, "OtherName": from.Name,
				"ActorName": actor.Name, "Status": status, "URL": s.linksURL()}}
		if to.ID == l.Client.ID { // the client hears in its agency's brand
			e.BrandAgencyID = l.Agency.ID
		}
		if err := s.mailer.Send(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}
