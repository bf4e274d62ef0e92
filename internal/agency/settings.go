package agency

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the zone database, for digest time zones

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientlist/due"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// AgencySettings are an agency's thresholds and expiries (SPEC §4, §5, §6).
// (The name is not Settings because the function that reads them is.)
type AgencySettings struct {
	AtRiskDays               int `db:"at_risk_days" json:"at_risk_days" doc:"Days without a login after which a client is at risk (1–365)"`
	ChurnDays                int `db:"churn_days" json:"churn_days" doc:"Days without a login after which a client has churned (2–730, more than at_risk_days)"`
	ClientInviteTTLDays      int `db:"client_invite_ttl_days" json:"client_invite_ttl_days" doc:"Days before a client invitation sent by e-mail expires (1–90)"`
	TeamInviteTTLDays        int `db:"team_invite_ttl_days" json:"team_invite_ttl_days" doc:"Days before a team invitation sent by e-mail expires (1–90)"`
	ImpersonationIdleMinutes int `db:"impersonation_idle_minutes" json:"impersonation_idle_minutes" doc:"Minutes of inactivity after which Login As ends (5–480)"`
	// Login As (SPEC §6, issue 7).
	ImpersonationReasonRequired bool `db:"impersonation_reason_required" json:"impersonation_reason_required" doc:"Login As must give a reason"`
	NotifyClientOnImpersonation bool `db:"notify_client_on_impersonation" json:"notify_client_on_impersonation" doc:"E-mail the client's admins when a Login As session starts"`
	// The weekly health digest (SPEC §5, issue 6) goes out on Monday 08:00
	// in this time zone.
	Timezone string `db:"timezone" json:"timezone" doc:"IANA time zone of the weekly health digest (Monday 08:00), e.g. Europe/Paris; default UTC"`
	// Headline metrics (SPEC §3, §12): columns of the client list, each
	// client's total of the metric this month over its granted brands
	// (internal/clientlist/headline.go).
	HeadlineMetrics []string `db:"-" json:"headline_metrics" doc:"Up to three metric names shown as columns of the client list (this month's totals over each client's brands)"`
	// Two-factor sign-in (issue 21; internal/auth/twofactor.go).
	Require2FA        bool `db:"require_2fa" json:"require_2fa" doc:"Staff must sign in with a second factor; those without one set it up at their next sign-in, and a person who joins by invitation on accepting it, before their first session"`
	Require2FALoginAs bool `db:"require_2fa_login_as" json:"require_2fa_login_as" doc:"Staff must have two-factor sign-in on to start Login As"`
}

// MaxHeadlineMetrics is how many headline metrics an agency may choose.
const MaxHeadlineMetrics = 3

// equal reports whether two settings are the same.
func (v AgencySettings) equal(w AgencySettings) bool {
	return v.AtRiskDays == w.AtRiskDays && v.ChurnDays == w.ChurnDays && v.ClientInviteTTLDays == w.ClientInviteTTLDays &&
		v.TeamInviteTTLDays == w.TeamInviteTTLDays && v.ImpersonationIdleMinutes == w.ImpersonationIdleMinutes &&
		v.ImpersonationReasonRequired == w.ImpersonationReasonRequired &&
		v.NotifyClientOnImpersonation == w.NotifyClientOnImpersonation && v.Timezone == w.Timezone &&
		slices.Equal(v.HeadlineMetrics, w.HeadlineMetrics) && v.Require2FA == w.Require2FA && v.Require2FALoginAs == w.Require2FALoginAs
}

// DefaultSettings apply to an agency that never saved its own.
var DefaultSettings = AgencySettings{AtRiskDays: 14, ChurnDays: 45, ClientInviteTTLDays: 14, TeamInviteTTLDays: 7,
	ImpersonationIdleMinutes: 15, NotifyClientOnImpersonation: true, Timezone: "UTC", HeadlineMetrics: []string{}}

// ClientInviteTTL is how long a client invitation by e-mail stays valid.
func (v AgencySettings) ClientInviteTTL() time.Duration {
	return time.Duration(v.ClientInviteTTLDays) * 24 * time.Hour
}

// TeamInviteTTL is how long a team invitation by e-mail stays valid.
func (v AgencySettings) TeamInviteTTL() time.Duration {
	return time.Duration(v.TeamInviteTTLDays) * 24 * time.Hour
}

// ImpersonationIdle is the inactivity after which Login As ends.
func (v AgencySettings) ImpersonationIdle() time.Duration {
	return time.Duration(v.ImpersonationIdleMinutes) * time.Minute
}

// Validate checks the ranges; the error names the first field at fault.
func (v AgencySettings) Validate() error {
	checks := []struct {
		field       string
		val, lo, hi int
	}{
		{"at_risk_days", v.AtRiskDays, 1, 365},
		{"churn_days", v.ChurnDays, 2, 730},
		{"client_invite_ttl_days", v.ClientInviteTTLDays, 1, 90},
		{"team_invite_ttl_days", v.TeamInviteTTLDays, 1, 90},
		{"impersonation_idle_minutes", v.ImpersonationIdleMinutes, 5, 480},
	}
	for _, c := range checks {
		if c.val < c.lo || c.val > c.hi {
			return errs.InvalidField(c.field, "Choose a number from %d to %d.", c.lo, c.hi)
		}
	}
	if v.ChurnDays <= v.AtRiskDays {
		return errs.InvalidField("churn_days", "A client churns after it is at risk: choose more than %d days.", v.AtRiskDays)
	}
	if _, err := v.Location(); err != nil {
		return errs.InvalidField("timezone", "Choose a time zone such as UTC, Europe/Paris or America/New_York.")
	}
	if len(v.HeadlineMetrics) > MaxHeadlineMetrics {
		return errs.InvalidField("headline_metrics", "Choose at most %d headline metrics.", MaxHeadlineMetrics)
	}
	for i, m := range v.HeadlineMetrics {
		if !validMetricName(m) {
			return errs.InvalidField("headline_metrics", "%q is not a metric name: lower-case letters, digits, _ and ., starting with a letter, at most 64.", m)
		}
		if slices.Contains(v.HeadlineMetrics[:i], m) {
			return errs.InvalidField("headline_metrics", "%q is chosen twice.", m)
		}
	}
	return nil
}

// validMetricName is metricdata.ValidMetricName ([a-z][a-z0-9_.]{0,63}),
// which this package cannot import (metricdata reads the settings); a
// test in package clientlist checks that the two agree.
func validMetricName(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ValidMetricName is validMetricName, for the agreement test.
var ValidMetricName = validMetricName

// Location is the agency's time zone. Only IANA names are accepted, not
// "Local" (LoadLocation itself refuses paths); the zone database is built
// in (time/tzdata), so a server without one still knows every zone.
func (v AgencySettings) Location() (*time.Location, error) {
	if v.Timezone == "" || v.Timezone == "Local" || len(v.Timezone) > 64 {
		return nil, errors.New("not a time zone name")
	}
	return time.LoadLocation(v.Timezone)
}

// Settings returns an agency's settings, the defaults when it has saved none.
// Other packages call it (inside their own transaction, if they like) for
// the thresholds and expiries; it does not check access.
func Settings(ctx context.Context, q db.Querier, agencyID string) (AgencySettings, error) {
	var v struct {
		AgencySettings
		Headline string `db:"headline_metrics"`
	}
	err := q.Get(ctx, &v, `SELECT at_risk_days, churn_days, client_invite_ttl_days, team_invite_ttl_days,
		impersonation_idle_minutes, impersonation_reason_required, notify_client_on_impersonation, timezone, headline_metrics,
		require_2fa, require_2fa_login_as
		FROM agency_settings WHERE agency_id = ?`, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return DefaultSettings, nil
	}
	if err != nil {
		return AgencySettings{}, err
	}
	out := v.AgencySettings
	out.HeadlineMetrics = []string{}
	if err := json.Unmarshal([]byte(v.Headline), &out.HeadlineMetrics); err != nil || out.HeadlineMetrics == nil {
		out.HeadlineMetrics = []string{}
	}
	return out, nil
}

// GetSettings returns the agency's settings (every member may read them).
func (s *Service) GetSettings(ctx context.Context, rel authz.Relation) (AgencySettings, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return AgencySettings{}, err
	}
	return Settings(ctx, s.db, agencyID)
}

// SettingsUpdate changes some settings: a nil field keeps its current value.
type SettingsUpdate struct {
	AtRiskDays               *int
	ChurnDays                *int
	ClientInviteTTLDays      *int
	TeamInviteTTLDays        *int
	ImpersonationIdleMinutes *int

	ImpersonationReasonRequired *bool
	NotifyClientOnImpersonation *bool
	Timezone                    *string
	HeadlineMetrics             *[]string
	Require2FA                  *bool
	Require2FALoginAs           *bool
}

func (u SettingsUpdate) apply(v AgencySettings) AgencySettings {
	for _, f := range []struct {
		from *int
		to   *int
	}{
		{u.AtRiskDays, &v.AtRiskDays}, {u.ChurnDays, &v.ChurnDays}, {u.ClientInviteTTLDays, &v.ClientInviteTTLDays},
		{u.TeamInviteTTLDays, &v.TeamInviteTTLDays}, {u.ImpersonationIdleMinutes, &v.ImpersonationIdleMinutes},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if u.ImpersonationReasonRequired != nil {
		v.ImpersonationReasonRequired = *u.ImpersonationReasonRequired
	}
	if u.NotifyClientOnImpersonation != nil {
		v.NotifyClientOnImpersonation = *u.NotifyClientOnImpersonation
	}
	if u.Require2FA != nil {
		v.Require2FA = *u.Require2FA
	}
	if u.Require2FALoginAs != nil {
		v.Require2FALoginAs = *u.Require2FALoginAs
	}
	if u.Timezone != nil {
		v.Timezone = strings.TrimSpace(*u.Timezone)
	}
	if u.HeadlineMetrics != nil {
		v.HeadlineMetrics = make([]string, 0, len(*u.HeadlineMetrics))
		for _, m := range *u.HeadlineMetrics {
			v.HeadlineMetrics = append(v.HeadlineMetrics, strings.TrimSpace(m))
		}
	}
	return v
}

// UpdateSettings applies u to the agency's settings (admins only) and saves
// them whole. The merged result is validated, under the agency lock, so two
// partial updates at once cannot combine into settings neither would pass
// (say at_risk_days 30 from one and churn_days 20 from the other).
func (s *Service) UpdateSettings(ctx context.Context, a *authz.Actor, rel authz.Relation, u SettingsUpdate) (AgencySettings, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return AgencySettings{}, err
	}
	var out AgencySettings
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		before, err := Settings(ctx, tx, agencyID)
		if err != nil {
			return err
		}
		after := u.apply(before)
		if err := after.Validate(); err != nil {
			return err
		}
		out = after
		if after.equal(before) {
			return nil
		}
		headline, err := json.Marshal(after.HeadlineMetrics)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO agency_settings (agency_id, at_risk_days, churn_days, client_invite_ttl_days,
			team_invite_ttl_days, impersonation_idle_minutes, impersonation_reason_required, notify_client_on_impersonation,
			timezone, headline_metrics, require_2fa, require_2fa_login_as, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (agency_id) DO UPDATE SET at_risk_days = excluded.at_risk_days, churn_days = excluded.churn_days,
			client_invite_ttl_days = excluded.client_invite_ttl_days, team_invite_ttl_days = excluded.team_invite_ttl_days,
			impersonation_idle_minutes = excluded.impersonation_idle_minutes,
			impersonation_reason_required = excluded.impersonation_reason_required,
			notify_client_on_impersonation = excluded.notify_client_on_impersonation, timezone = excluded.timezone,
			headline_metrics = excluded.headline_metrics, require_2fa = excluded.require_2fa,
			require_2fa_login_as = excluded.require_2fa_login_as, updated_at = excluded.updated_at`,
			agencyID, after.AtRiskDays, after.ChurnDays, after.ClientInviteTTLDays, after.TeamInviteTTLDays,
			after.ImpersonationIdleMinutes, after.ImpersonationReasonRequired, after.NotifyClientOnImpersonation,
			after.Timezone, string(headline), after.Require2FA, after.Require2FALoginAs, s.now())
		if err != nil {
			return err
		}
		// The thresholds decide the clients' stored status and score, the
		// headline metrics and the time zone their values (clientlist's
		// fresh.go, headline.go): new ones make every row of the agency due.
		if after.AtRiskDays != before.AtRiskDays || after.ChurnDays != before.ChurnDays || after.Timezone != before.Timezone ||
			!slices.Equal(after.HeadlineMetrics, before.HeadlineMetrics) {
			if err := due.MarkAgency(ctx, tx, agencyID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, agencyID, "settings.update", agencyID, before, after)
	})
	return out, err
}
