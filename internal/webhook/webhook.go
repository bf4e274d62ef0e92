// Package webhook is an agency's signed webhooks (issue 21): endpoints its
// admins register with the event types each receives, and the deliveries
// of those events, signed with the endpoint's secret (sign.go), sent by a
// job with retries for 24 hours (deliver.go), refused to private addresses
// in production (dial.go). It owns webhook_endpoints and
// webhook_deliveries (migration 00046); deliveries are queued by
// internal/webhook/outbox in the transaction of each event.
//
// Functions for agency users take the authz.Relation that CheckWebhook (or
// Check on the agency) decided; its AccountID is the agency, and every
// query is scoped by it.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// Config is how deliveries are sent.
type Config struct {
	// AllowLoopback lets endpoints be http:// or https:// on a loopback
	// address (LIAISON_WEBHOOK_ALLOW_LOOPBACK, for development and tests).
	// Without it every private, loopback and link-local address is
	// refused when the connection is made.
	AllowLoopback bool
	// Timeout bounds one attempt, from dialling to the end of the answer
	// (default 10s).
	Timeout time.Duration
}

// Service is the agency's webhooks.
type Service struct {
	db     *db.DB
	now    clock.Clock
	cfg    Config
	sender *sender
}

// New returns the service.
func New(d *db.DB, now clock.Clock, cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Service{db: d, now: now, cfg: cfg, sender: newSender(cfg)}
}

// Endpoint is a registered endpoint.
type Endpoint struct {
	ID          string    `json:"id"`
	AgencyID    string    `json:"agency_id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Secret is set only in the answer that creates or rotates it.
	Secret string `json:"secret,omitempty" doc:"The signing secret: shown once, when created or rotated"`
	// PreviousUntil is when the secret before the last rotation stops
	// signing; null when it no longer does.
	PreviousUntil *time.Time `json:"previous_secret_until" doc:"Until then, deliveries carry a second v1 signature made with the previous secret"`
}

// Input is what an admin sets; nil keeps the current value (create needs
// URL and Events).
type Input struct {
	URL         *string   `json:"url,omitempty" maxLength:"2000" doc:"https:// URL the events are POSTed to"`
	Description *string   `json:"description,omitempty" maxLength:"200"`
	Events      *[]string `json:"events,omitempty" maxItems:"20" doc:"Event types to send, e.g. link.accepted"`
	Enabled     *bool     `json:"enabled,omitempty" doc:"A disabled endpoint is sent nothing"`
}

// MaxEndpoints bounds an agency's endpoints: each event is queued for each
// of them in the event's transaction.
const MaxEndpoints = 20

// RotationOverlap is how long the previous secret keeps signing after a
// rotation, so a receiver can move to the new one without losing events.
const RotationOverlap = 24 * time.Hour

type endpointRow struct {
	ID             string  `db:"id"`
	AgencyID       string  `db:"agency_id"`
	URL            string  `db:"url"`
	Description    string  `db:"description"`
	Events         string  `db:"events"`
	Enabled        bool    `db:"enabled"`
	Secret         string  `db:"secret"`
	PreviousSecret string  `db:"previous_secret"`
	PreviousUntil  db.Time `db:"previous_until"`
	CreatedAt      db.Time `db:"created_at"`
	UpdatedAt      db.Time `db:"updated_at"`
}

const endpointColumns = `id, agency_id, url, description, events, enabled, secret, previous_secret, previous_until, created_at, updated_at`

func (r endpointRow) view(now time.Time) Endpoint {
	e := Endpoint{ID: r.ID, AgencyID: r.AgencyID, URL: r.URL, Description: r.Description, Enabled: r.Enabled,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time, Events: []string{}}
	_ = json.Unmarshal([]byte(r.Events), &e.Events)
	if r.PreviousSecret != "" && r.PreviousUntil.Valid && r.PreviousUntil.Time.After(now) {
		t := r.PreviousUntil.Time
		e.PreviousUntil = &t
	}
	return e
}

// onAgency checks that rel is an admin's on the agency.
func onAgency(rel authz.Relation, agencyID string) error {
	if rel.AccountID != agencyID || rel.AccountKind != "agency" || !authz.Allowed(rel.Role, authz.AgencyManage) {
		return errs.ErrNotFound
	}
	return nil
}

func newSecret() string { return "whsec_" + id.Secret() }

// List returns the agency's endpoints, oldest first.
func (s *Service) List(ctx context.Context, rel authz.Relation, agencyID string) ([]Endpoint, error) {
	if err := onAgency(rel, agencyID); err != nil {
		return nil, err
	}
	var rows []endpointRow
	if err := s.db.Select(ctx, &rows, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE agency_id = ? ORDER BY created_at, id`, agencyID); err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Endpoint, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.view(now))
	}
	return out, nil
}

// Get returns one endpoint of rel's agency.
func (s *Service) Get(ctx context.Context, rel authz.Relation, endpointID string) (Endpoint, error) {
	r, err := s.get(ctx, s.db, rel, endpointID)
	if err != nil {
		return Endpoint{}, err
	}
	return r.view(s.now()), nil
}

func (s *Service) get(ctx context.Context, q db.Querier, rel authz.Relation, endpointID string) (endpointRow, error) {
	var r endpointRow
	err := q.Get(ctx, &r, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = ? AND agency_id = ?`, endpointID, rel.AccountID)
	if errors.Is(err, db.ErrNoRows) {
		return r, errs.ErrNotFound
	}
	if err != nil {
		return r, err
	}
	return r, onAgency(rel, r.AgencyID)
}

// Create registers an endpoint and returns it with its secret, the only
// time the secret is shown.
func (s *Service) Create(ctx context.Context, a *authz.Actor, rel authz.Relation, agencyID string, in Input) (Endpoint, error) {
	if err := onAgency(rel, agencyID); err != nil {
		return Endpoint{}, err
	}
	if in.URL == nil {
		return Endpoint{}, errs.InvalidField("url", "Give the endpoint's URL, e.g. https://hooks.example.com/liaison.")
	}
	if in.Events == nil {
		return Endpoint{}, errs.InvalidField("events", "Pick at least one event.")
	}
	now := s.now()
	r := endpointRow{ID: id.New("whk"), AgencyID: agencyID, Enabled: true, Secret: newSecret(),
		CreatedAt: db.Time{Time: now, Valid: true}, UpdatedAt: db.Time{Time: now, Valid: true}}
	if err := s.apply(&r, in); err != nil {
		return Endpoint{}, err
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM webhook_endpoints WHERE agency_id = ?`, agencyID); err != nil {
			return err
		}
		if n >= MaxEndpoints {
			return errs.E(errs.Conflict, "webhook_limit", "An agency has at most %d webhook endpoints; delete one first.", MaxEndpoints)
		}
		var by any
		if a != nil {
			by = a.UserID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (id, agency_id, url, description, events, enabled, secret, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, agencyID, r.URL, r.Description, r.Events, r.Enabled, r.Secret, by, now, now); err != nil {
			return err
		}
		return record(ctx, tx, a, agencyID, now, "webhook.create", r.ID, nil, summary(r))
	})
	if err != nil {
		return Endpoint{}, err
	}
	e := r.view(now)
	e.Secret = r.Secret
	return e, nil
}

// Update changes an endpoint's URL, description, events or state.
func (s *Service) Update(ctx context.Context, a *authz.Actor, rel authz.Relation, endpointID string, in Input) (Endpoint, error) {
	cur, err := s.get(ctx, s.db, rel, endpointID)
	if err != nil {
		return Endpoint{}, err
	}
	next := cur
	if err := s.apply(&next, in); err != nil {
		return Endpoint{}, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, events = ?, enabled = ?, updated_at = ?
			WHERE id = ? AND agency_id = ?`, next.URL, next.Description, next.Events, next.Enabled, now, endpointID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "webhook.update", endpointID, summary(cur), summary(next))
	})
	if err != nil {
		return Endpoint{}, err
	}
	return s.Get(ctx, rel, endpointID)
}

// Delete removes an endpoint and its deliveries; jobs still queued for
// them find nothing and end.
func (s *Service) Delete(ctx context.Context, a *authz.Actor, rel authz.Relation, endpointID string) error {
	cur, err := s.get(ctx, s.db, rel, endpointID)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = ? AND agency_id = ?`, endpointID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "webhook.delete", endpointID, summary(cur), nil)
	})
}

// Rotate gives the endpoint a new secret, returned this once; the previous
// one keeps signing too for RotationOverlap.
func (s *Service) Rotate(ctx context.Context, a *authz.Actor, rel authz.Relation, endpointID string) (Endpoint, error) {
	cur, err := s.get(ctx, s.db, rel, endpointID)
	if err != nil {
		return Endpoint{}, err
	}
	secret := newSecret()
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET secret = ?, previous_secret = ?, previous_until = ?, updated_at = ?
			WHERE id = ? AND agency_id = ?`, secret, cur.Secret, now.Add(RotationOverlap), now, endpointID, rel.AccountID); err != nil {
			return err
		}
		return record(ctx, tx, a, rel.AccountID, now, "webhook.secret_rotate", endpointID, nil,
			map[string]any{"previous_signs_until": now.Add(RotationOverlap)})
	})
	if err != nil {
		return Endpoint{}, err
	}
	e, err := s.Get(ctx, rel, endpointID)
	e.Secret = secret
	return e, err
}

// apply checks in and sets it on r.
func (s *Service) apply(r *endpointRow, in Input) error {
	if in.URL != nil {
		u, err := s.checkURL(*in.URL)
		if err != nil {
			return err
		}
		r.URL = u
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 200 || strings.IndexFunc(d, unicode.IsControl) >= 0 {
			return errs.InvalidField("description", "Keep the description to 200 characters on one line.")
		}
		r.Description = d
	}
	if in.Events != nil {
		var evs []string
		for _, t := range *in.Events {
			if !outbox.KnownType(t) {
				return errs.InvalidField("events", "%q is no event type; they are: %s.", t, strings.Join(outbox.Types, ", "))
			}
			if !slices.Contains(evs, t) {
				evs = append(evs, t)
			}
		}
		if len(evs) == 0 {
			return errs.InvalidField("events", "Pick at least one event.")
		}
		b, _ := json.Marshal(evs)
		r.Events = string(b)
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	return nil
}

// checkURL accepts an https:// URL (http:// only to loopback, when
// AllowLoopback), without credentials, whose host is not an address that
// would be refused when sending. Hostnames are checked again, on the
// addresses they resolve to, each time a delivery connects (dial.go).
func (s *Service) checkURL(raw string) (string, error) {
	bad := func(msg string) error { return errs.InvalidField("url", "%s", msg) }
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" || len(raw) > 2000 {
		return "", bad("Give a full URL, e.g. https://hooks.example.com/liaison.")
	}
	if u.User != nil {
		return "", bad("Put no user name or password in the URL; check the signature instead.")
	}
	if u.Fragment != "" {
		return "", bad("A webhook URL has no #fragment.")
	}
	host := u.Hostname()
	loopback := strings.EqualFold(host, "localhost")
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		loopback = ip.IsLoopback()
		if refused(ip, s.cfg.AllowLoopback) {
			return "", bad("This address is private or local; webhooks go to public addresses only.")
		}
	} else if loopback && !s.cfg.AllowLoopback {
		return "", bad("This address is private or local; webhooks go to public addresses only.")
	} else if !validHostname(host) {
		return "", bad("The host name is not valid.")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && s.cfg.AllowLoopback && loopback:
	default:
		return "", bad("Use an https:// URL.")
	}
	return u.String(), nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// summary is what the audit trail keeps of an endpoint (never its secret).
func summary(r endpointRow) map[string]any {
	var evs []string
	_ = json.Unmarshal([]byte(r.Events), &evs)
	return map[string]any{"url": r.URL, "description": r.Description, "events": evs, "enabled": r.Enabled}
}

func record(ctx context.Context, tx *db.Tx, a *authz.Actor, agencyID string, now time.Time, action, target string, before, after any) error {
	return audit.AppendAs(ctx, tx, now, a, audit.Entry{AccountID: agencyID, Action: action, TargetID: target, Before: before, After: after})
}
