package billing

import (
	"context"
	"strconv"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Plans.
const (
	Monthly = "monthly"
	Annual  = "annual"
)

// Prices are the operator's prices per billable brand and month, in cents
// (LIAISON_PRICE_MONTHLY_CENTS, LIAISON_PRICE_ANNUAL_CENTS: the annual plan's
// price is also per month).
type Prices struct {
	MonthlyCents int64
	AnnualCents  int64
}

// Of returns the price of a plan.
func (p Prices) Of(plan string) int64 {
	if plan == Annual {
		return p.AnnualCents
	}
	return p.MonthlyCents
}

// Service answers the billing pages and API.
type Service struct {
	db  *db.DB
	now clock.Clock
}

// New returns the billing service.
func New(d *db.DB, now clock.Clock) *Service { return &Service{db: d, now: now} }

// day is a UTC calendar day as stored (YYYY-MM-DD).
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// RecordPrices stores the operator's prices at start-up when they differ
// from the last ones: they apply from the next UTC day on, so days already
// begun (and every past invoice) keep the price they had. The very first
// prices apply from the beginning.
func (s *Service) RecordPrices(ctx context.Context, p Prices) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var last []priceRow
		if err := tx.Select(ctx, &last, `SELECT effective_from, monthly_cents, annual_cents FROM billing_prices
			ORDER BY effective_from DESC LIMIT 1`); err != nil {
			return err
		}
		if len(last) == 1 && last[0].Monthly == p.MonthlyCents && last[0].Annual == p.AnnualCents {
			return nil
		}
		now := s.now()
		from := "1970-01-01"
		if len(last) == 1 {
			from = day(now.AddDate(0, 0, 1))
		}
		_, err := tx.Exec(ctx, `INSERT INTO billing_prices (effective_from, monthly_cents, annual_cents, recorded_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (effective_from) DO UPDATE SET monthly_cents = excluded.monthly_cents, annual_cents = excluded.annual_cents,
			recorded_at = excluded.recorded_at`, from, p.MonthlyCents, p.AnnualCents, now)
		return err
	})
}

// BillableBrand is a brand the agency pays for now.
type BillableBrand struct {
	BrandID       string    `json:"brand_id"`
	Name          string    `json:"name"`
	BillableSince time.Time `json:"billable_since"`
	PriceCents    int64     `json:"price_cents" doc:"Its price per month under the current plan"`
	Clients       int       `json:"clients" doc:"How many clients (and open invitations) give it access"`
}

// Overview is GET /agencies/{id}/billing.
type Overview struct {
	Plan        string          `json:"plan" enum:"monthly,annual"`
	NextPlan    *PlanChange     `json:"next_plan,omitempty" doc:"A plan change that takes effect on a later day"`
	Prices      PricesOut       `json:"prices"`
	Brands      []BillableBrand `json:"brands"`
	TotalCents  int64           `json:"total_cents" doc:"The monthly total: billable brands × the plan's price"`
	Currency    string          `json:"currency"`
	GeneratedAt time.Time       `json:"generated_at"`
}

// PricesOut are the prices in force today.
type PricesOut struct {
	MonthlyCents int64 `json:"monthly_cents"`
	AnnualCents  int64 `json:"annual_cents"`
}

// PlanChange is a plan and the UTC day it takes effect.
type PlanChange struct {
	Plan          string `json:"plan" db:"plan" enum:"monthly,annual"`
	EffectiveFrom string `json:"effective_from" db:"effective_from" doc:"YYYY-MM-DD (UTC)"`
}

func agencyOf(rel authz.Relation) (string, error) {
	if !rel.Visible() || rel.AccountKind != "agency" {
		return "", errs.ErrNotFound
	}
	return rel.AccountID, nil
}

// Overview returns the plan, the billable brands and the monthly total.
func (s *Service) Overview(ctx context.Context, rel authz.Relation) (Overview, error) {
	agencyID, err := agencyOf(rel)
	if err != nil {
		return Overview{}, err
	}
	now := s.now()
	today := day(now)
	plans, err := s.plans(ctx, agencyID)
	if err != nil {
		return Overview{}, err
	}
	prices, err := s.prices(ctx)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Plan: plans.on(today), Currency: "USD", GeneratedAt: now, Brands: []BillableBrand{}}
	for _, c := range plans {
		if c.EffectiveFrom > today {
			c := c
			out.NextPlan = &c
		}
	}
	p := prices.on(today)
	out.Prices = PricesOut{MonthlyCents: p.MonthlyCents, AnnualCents: p.AnnualCents}
	var rows []struct {
		BrandID string    `db:"brand_id"`
		Since   time.Time `db:"since"`
	}
	if err := s.db.Select(ctx, &rows, `SELECT brand_id, since FROM billing_open WHERE agency_id = ? ORDER BY since, brand_id`, agencyID); err != nil {
		return Overview{}, err
	}
	counts, err := billableNow(ctx, s.db, now, agencyID)
	if err != nil {
		return Overview{}, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.BrandID
	}
	names, err := brandNames(ctx, s.db, agencyID, ids)
	if err != nil {
		return Overview{}, err
	}
	price := p.Of(out.Plan)
	for _, r := range rows {
		out.Brands = append(out.Brands, BillableBrand{BrandID: r.BrandID, Name: names[r.BrandID], BillableSince: r.Since.UTC(),
			PriceCents: price, Clients: counts[r.BrandID]})
		out.TotalCents += price
	}
	return out, nil
}

// SetPlan switches the agency's plan from the next UTC day on (the day in
// progress keeps its plan), audited. Choosing the plan already in force
// from tomorrow changes nothing.
func (s *Service) SetPlan(ctx context.Context, rel authz.Relation, a *authz.Actor, plan string) (PlanChange, error) {
	agencyID, err := agencyOf(rel)
	if err != nil {
		return PlanChange{}, err
	}
	if plan != Monthly && plan != Annual {
		return PlanChange{}, errs.InvalidField("plan", "Choose monthly or annual.")
	}
	var out PlanChange
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		from := day(now.AddDate(0, 0, 1))
		if _, err := lockAgency(ctx, tx, agencyID); err != nil {
			return err
		}
		var changes planList
		if err := tx.Select(ctx, &changes, `SELECT plan, effective_from FROM billing_plans WHERE agency_id = ? ORDER BY effective_from`, agencyID); err != nil {
			return err
		}
		before := changes.on(from)
		out = PlanChange{Plan: plan, EffectiveFrom: from}
		if before == plan {
			// Undo a change planned for tomorrow back to today's plan, or
			// nothing to do.
			_, err := tx.Exec(ctx, `DELETE FROM billing_plans WHERE agency_id = ? AND effective_from > ?`, agencyID, day(now))
			out.EffectiveFrom = day(now)
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO billing_plans (agency_id, effective_from, plan, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (agency_id, effective_from) DO UPDATE SET plan = excluded.plan, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
			agencyID, from, plan, a.UserID, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, now, audit.Entry{AccountID: agencyID, ActorID: a.UserID, ImpersonatorID: a.ImpersonatorID,
			Action: "billing.plan_change", TargetID: agencyID, IP: a.IP,
			Before: map[string]any{"plan": before}, After: map[string]any{"plan": plan, "effective_from": from}})
		return err
	})
	return out, err
}

// planList is an agency's plan changes by day; before the first, monthly.
type planList []PlanChange

func (l planList) on(d string) string {
	plan := Monthly
	for _, c := range l {
		if c.EffectiveFrom <= d {
			plan = c.Plan
		}
	}
	return plan
}

func (s *Service) plans(ctx context.Context, agencyID string) (planList, error) {
	var l planList
	err := s.db.Select(ctx, &l, `SELECT plan, effective_from FROM billing_plans WHERE agency_id = ? ORDER BY effective_from`, agencyID)
	return l, err
}

type priceRow struct {
	From    string `db:"effective_from"`
	Monthly int64  `db:"monthly_cents"`
	Annual  int64  `db:"annual_cents"`
}

// priceList is the operator's prices by the day they apply from.
type priceList []priceRow

func (l priceList) on(d string) Prices {
	p := Prices{MonthlyCents: 4900, AnnualCents: 4100}
	for _, r := range l {
		if r.From <= d {
			p = Prices{MonthlyCents: r.Monthly, AnnualCents: r.Annual}
		}
	}
	return p
}

func (s *Service) prices(ctx context.Context) (priceList, error) {
	var l priceList
	err := s.db.Select(ctx, &l, `SELECT effective_from, monthly_cents, annual_cents FROM billing_prices ORDER BY effective_from`)
	return l, err
}

// Event is a ledger row.
type Event struct {
	ID        string    `json:"id" db:"id"`
	Seq       int64     `json:"seq" db:"seq"`
	BrandID   string    `json:"brand_id" db:"brand_id"`
	BrandName string    `json:"brand_name" db:"brand_name"`
	Kind      string    `json:"kind" db:"kind" enum:"start,stop"`
	At        time.Time `json:"at" db:"at"`
	Cause     string    `json:"cause" db:"cause"`
	RefID     *string   `json:"ref_id" db:"ref_id" nullable:"true"`
	ActorID   *string   `json:"actor_id" db:"actor_id" nullable:"true"`
	ActorName *string   `json:"actor_name" db:"actor_name" nullable:"true"`
}

// Events pages through the ledger, newest first; the cursor is the last
// row's number.
func (s *Service) Events(ctx context.Context, rel authz.Relation, cursor string, limit int) ([]Event, string, error) {
	agencyID, err := agencyOf(rel)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	before := int64(1) << 62
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return nil, "", errs.InvalidField("cursor", "This cursor is not one the API gave.")
		}
		before = n
	}
	var out []Event
	if err := s.db.Select(ctx, &out, `SELECT e.id, e.seq, e.brand_id, e.brand_name, e.kind, e.at, e.cause, e.ref_id, e.actor_id, u.name AS actor_name
		FROM billing_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.agency_id = ? AND e.seq < ? ORDER BY e.seq DESC LIMIT ?`, agencyID, before, limit+1); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].Seq, 10)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	if out == nil {
		out = []Event{}
	}
	return out, next, nil
}

var errNoRange = errs.InvalidField("from", "Give a period: from and to as YYYY-MM-DD, from no later than to, at most 5 years.")

func parseRange(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil {
		return f, t, errNoRange
	}
	if err2 != nil || t.Before(f) || t.Sub(f) > 5*366*24*time.Hour {
		return f, t, errs.InvalidField("to", "Give to as YYYY-MM-DD, no earlier than from and at most 5 years after it.")
	}
	return f, t, nil
}
