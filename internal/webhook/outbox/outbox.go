// Package outbox queues webhook deliveries (issue 21) inside the transaction
// of the event they report, so an event is delivered if and only if its
// change commits. It is the one place that says which changes are webhook
// events (Types, byAction) and which agency hears of each: internal/audit
// calls FromAudit from Append for every entry, and internal/billing calls
// BrandBilling from Sync for every ledger row. Endpoints, signing and
// sending are internal/webhook's; this package only writes rows, so that
// audit and billing can import it without a cycle.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
)

// The event types an endpoint can pick.
const (
	LinkRequested       = "link.requested"
	LinkAccepted        = "link.accepted"
	LinkDisconnected    = "link.disconnected"
	ClientStatusChanged = "client.status_changed"
	InvitationSent      = "invitation.sent"
	InvitationAccepted  = "invitation.accepted"
	UserAdded           = "user.added"
	UserRemoved         = "user.removed"
	LoginAsStarted      = "login_as.started"
	LoginAsEnded        = "login_as.ended"
	ReportDataPushed    = "report_data.pushed"
	BillingBrandStarted = "billing.brand_started"
	BillingBrandStopped = "billing.brand_stopped"
)

// Types lists every event type, in the order pages show them.
var Types = []string{LinkRequested, LinkAccepted, LinkDisconnected, ClientStatusChanged, InvitationSent,
	InvitationAccepted, UserAdded, UserRemoved, LoginAsStarted, LoginAsEnded, ReportDataPushed,
	BillingBrandStarted, BillingBrandStopped}

// KnownType reports whether t is one of Types.
func KnownType(t string) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// byAction maps the audit actions that are webhook events to their types.
// An action missing here is no event. Check a new action's name against
// the code that appends it (TestEveryEventTypeIsQueued walks each one).
var byAction = map[string][]string{
	"link.request":        {LinkRequested},
	"link.accept":         {LinkAccepted},
	"link.disconnect":     {LinkDisconnected},
	"client.revoke":       {ClientStatusChanged},
	"client.restore":      {ClientStatusChanged},
	"client.update":       {ClientStatusChanged}, // only when enabled changes (statusChanged)
	"invitation.create":   {InvitationSent},
	"invitation.resend":   {InvitationSent},
	"invitation.accept":   {InvitationAccepted, UserAdded},
	"member.remove":       {UserRemoved},
	"client.user_remove":  {UserRemoved},
	"impersonation.start": {LoginAsStarted},
	"impersonation.end":   {LoginAsEnded},
	"metric_data.push":    {ReportDataPushed},
	"source.push":         {ReportDataPushed},
}

// Job is the job kind that attempts a delivery (internal/webhook handles it).
const Job = "webhook.deliver"

// JobPayload names the delivery and the generation the job may attempt.
type JobPayload struct {
	DeliveryID string `json:"delivery_id"`
	Generation int    `json:"generation"`
}

// JobKey is the unique key of a delivery's job of one generation.
func JobKey(deliveryID string, generation int) string {
	return fmt.Sprintf("webhook:%s:%d", deliveryID, generation)
}

// Fact is what FromAudit needs of an audit entry, as it was stored.
type Fact struct {
	AccountID, AgencyID, ActorID, ImpersonatorID string
	Action, TargetID                             string
	Before, After                                string // JSON, "" for none
}

// FromAudit queues the webhook deliveries of one audit entry in tx.
//
// The agency that hears of it is the one the entry was made for: its
// AgencyID (the agency on whose side a change to a client was made, e.g.
// the agency of the link or of the Login As), else its account. So for a
// client shared by agencies A and D, A's change reaches only A's
// endpoints, and a client's own change (no agency) reaches none, since
// endpoints belong to agencies only. A change written on both the agency
// and the client (two entries) is one event: its id is derived from the
// agency, type, target, time and what the two entries share, and the
// delivery's from the endpoint and the event, so the second entry finds
// the delivery queued (and adds the client's ID to it).
func FromAudit(ctx context.Context, tx *db.Tx, at time.Time, f Fact) error {
	types := byAction[f.Action]
	if len(types) == 0 {
		return nil
	}
	if f.Action == "client.update" && !statusChanged(f.Before, f.After) {
		return nil
	}
	agency := f.AgencyID
	if agency == "" {
		agency = f.AccountID
	}
	if agency == "" {
		return nil
	}
	client := ""
	if f.AccountID != agency {
		client = f.AccountID
	}
	data := map[string]any{"action": f.Action, "account_id": nilIfEmpty(f.AccountID), "target_id": nilIfEmpty(f.TargetID),
		"actor_id": nilIfEmpty(f.ActorID), "impersonator_id": nilIfEmpty(f.ImpersonatorID),
		"before": raw(f.Before), "after": raw(f.After)}
	if client != "" {
		data["client_id"] = client
	}
	// The two entries of one change differ only in their account, so the
	// event's identity leaves it out; what was done, by whom, from what to
	// what stays in, so two changes at one instant remain two events.
	salt := strings.Join([]string{f.Action, f.ActorID, f.ImpersonatorID, f.Before, f.After}, "\x00")
	for _, t := range types {
		if err := queue(ctx, tx, at, agency, t, f.TargetID, salt, client, data); err != nil {
			return err
		}
	}
	return nil
}

// BrandBilling queues billing.brand_started or billing.brand_stopped for
// one ledger row of billing.Sync (seq: its number in the agency's ledger,
// which makes the event's identity), to the agency that pays.
func BrandBilling(ctx context.Context, tx *db.Tx, at time.Time, agencyID string, seq int64, brandID, brandName string, started bool, cause, refID, actorID string) error {
	t := BillingBrandStopped
	if started {
		t = BillingBrandStarted
	}
	data := map[string]any{"brand_id": brandID, "brand_name": brandName, "cause": cause, "ledger_seq": seq,
		"ref_id": nilIfEmpty(refID), "actor_id": nilIfEmpty(actorID)}
	return queue(ctx, tx, at, agencyID, t, brandID, fmt.Sprint("ledger ", seq), "", data)
}

// Event is the JSON body of every delivery.
type Event struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt time.Time      `json:"created_at"`
	AgencyID  string         `json:"agency_id"`
	Data      map[string]any `json:"data"`
}

// queue writes one delivery per enabled endpoint of agency that picked t,
// and the job of its first attempt.
func queue(ctx context.Context, tx *db.Tx, at time.Time, agency, t, target, salt, client string, data map[string]any) error {
	var eps []struct {
		ID     string `db:"id"`
		Events string `db:"events"`
	}
	if err := tx.Select(ctx, &eps, `SELECT id, events FROM webhook_endpoints WHERE agency_id = ? AND enabled`, agency); err != nil {
		return fmt.Errorf("webhook: endpoints of %s: %w", agency, err)
	}
	if len(eps) == 0 {
		return nil
	}
	at = at.UTC().Truncate(time.Microsecond)
	ev := Event{ID: derive("evt", agency, t, target, at.Format(time.RFC3339Nano), salt), Type: t, CreatedAt: at, AgencyID: agency, Data: data}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhook: encode %s: %w", t, err)
	}
	for _, ep := range eps {
		var picked []string
		if json.Unmarshal([]byte(ep.Events), &picked) != nil || !contains(picked, t) {
			continue
		}
		did := derive("whd", ep.ID, ev.ID)
		// The second entry of one change updates the payload only to add
		// the client (see FromAudit); otherwise the first one stands.
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, endpoint_id, agency_id, event_id, event_type, client_id, payload,
			status, attempts, generation, retry_since, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, client_id = excluded.client_id
			WHERE webhook_deliveries.client_id = '' AND excluded.client_id <> ''`,
			did, ep.ID, agency, ev.ID, t, client, string(body), at, at, at, at); err != nil {
			return fmt.Errorf("webhook: queue %s: %w", t, err)
		}
		if err := jobs.Insert(ctx, tx, at, jobs.Job{Kind: Job, Payload: JobPayload{DeliveryID: did}, UniqueKey: JobKey(did, 0),
			MaxAttempts: 5}); err != nil {
			return err
		}
	}
	return nil
}

// statusChanged reports whether a client.update entry turned the client
// on or off (its other settings are no status).
func statusChanged(before, after string) bool {
	var b, a struct {
		Enabled *bool `json:"enabled"`
	}
	if json.Unmarshal([]byte(before), &b) != nil || json.Unmarshal([]byte(after), &a) != nil {
		return false
	}
	return b.Enabled != nil && a.Enabled != nil && *b.Enabled != *a.Enabled
}

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// derive makes an ID of id's shape (prefix, 26 base32 characters) from
// parts, so the same parts give the same ID.
func derive(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + "_" + strings.ToLower(enc.EncodeToString(h[:16]))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
