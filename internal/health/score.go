// Package health is SPEC §5's client health: the score from a client's own
// logins and page views at a moment, its band, the client's status from its
// last login, and the moment either can next change on its own (with no new
// activity), which lets the client list store them and still be exact at any
// clock time (see Stored in refresh.go).
//
// Days are whole periods of 24 hours counted from the event: a login 36
// hours ago is 1 day ago. Windows are half-open at the far end: "the last 30
// days" at now are the logins with now − 30 days < at ≤ now.
package health

import (
	"math/big"
	"time"
)

// Day is the unit of every window and threshold.
const Day = 24 * time.Hour

// Band names of a score (SPEC §5).
const (
	Healthy = "healthy" // 70–100
	AtRisk  = "at_risk" // 40–69
	Churned = "churned" // 0–39
)

// BandOf returns the band of a score.
func BandOf(score int) string {
	switch {
	case score >= 70:
		return Healthy
	case score >= 40:
		return AtRisk
	}
	return Churned
}

// Activity is what the score is computed from: a client's own logins and
// page views (impersonated ones never count), in any order.
type Activity struct {
	Logins []time.Time
	Views  []View
}

// View is one page view.
type View struct {
	Page string
	At   time.Time
}

// Parts are the four components of a score and the counts behind them, for
// explaining a score to a person.
type Parts struct {
	Score int `json:"score"`
	// Recency R = max(0, 1 − d / churn_days), d = DaysSinceLogin (R = 0
	// with no login at all).
	Recency        float64 `json:"recency"`
	DaysSinceLogin *int    `json:"days_since_login"`
	// Frequency F = min(1, L30 / B), B = the average logins per 30 days
	// over the 90 days before those 30, or 4 when that is below 1.
	Frequency float64 `json:"frequency"`
	Logins30  int     `json:"logins_30d"`
	Baseline  float64 `json:"baseline"`
	// Depth D = min(1, P / 4), P = distinct pages viewed in the last 30 days.
	Depth   float64 `json:"depth"`
	Pages30 int     `json:"pages_30d"`
	// Trend T: 1 when the logins of the last 14 days exceed the 14 before
	// by more than 20 %, 0 when they fall short by more than 20 %, else 0.5.
	Trend      float64 `json:"trend"`
	Logins14   int     `json:"logins_14d"`
	LoginsPrev int     `json:"logins_prev_14d"`
}

// Score computes the score at now with the agency's churn_days. It is exact:
// the weighted sum is a rational number, rounded half up to an integer, so
// a score of exactly 69.5 is 70 whatever floating point would make of it.
func Score(a Activity, now time.Time, churnDays int) Parts {
	var p Parts
	in := func(t time.Time, fromDays, toDays int) bool { // now − from < t ≤ now − to
		return t.After(now.Add(-time.Duration(fromDays)*Day)) && !t.After(now.Add(-time.Duration(toDays)*Day))
	}
	var last time.Time
	var before int // logins in the 90 days before the last 30
	for _, t := range a.Logins {
		if t.After(now) {
			continue
		}
		if t.After(last) {
			last = t
		}
		switch {
		case in(t, 14, 0):
			p.Logins14++
			p.Logins30++
		case in(t, 28, 14):
			p.LoginsPrev++
			p.Logins30++
		case in(t, 30, 28):
			p.Logins30++
		case in(t, 120, 30):
			before++
		}
	}
	pages := map[string]bool{}
	for _, v := range a.Views {
		if in(v.At, 30, 0) {
			pages[v.Page] = true
		}
	}
	p.Pages30 = len(pages)

	// Each part as a rational, then 100 × (0.4R + 0.3F + 0.2D + 0.1T).
	r := new(big.Rat)
	if !last.IsZero() {
		d := int(now.Sub(last) / Day)
		p.DaysSinceLogin = &d
		if d < churnDays {
			r.SetFrac64(int64(churnDays-d), int64(churnDays))
		}
	}
	// B = before / 3, or 4 when below 1 (before < 3); F = min(1, L30 / B).
	f := new(big.Rat)
	if before < 3 {
		f.SetFrac64(int64(p.Logins30), 4)
		p.Baseline = 4
	} else {
		f.SetFrac64(int64(3*p.Logins30), int64(before))
		p.Baseline = float64(before) / 3
	}
	if f.Cmp(big.NewRat(1, 1)) > 0 {
		f.SetInt64(1)
	}
	dd := big.NewRat(int64(min(p.Pages30, 4)), 4)
	// Trend: L14 > 1.2 × prev ⇔ 5·L14 > 6·prev; L14 < 0.8 × prev ⇔ 5·L14 < 4·prev.
	t := big.NewRat(1, 2)
	switch {
	case 5*p.Logins14 > 6*p.LoginsPrev:
		t.SetInt64(1)
	case 5*p.Logins14 < 4*p.LoginsPrev:
		t.SetInt64(0)
	}
	sum := new(big.Rat).Mul(r, big.NewRat(40, 1))
	sum.Add(sum, new(big.Rat).Mul(f, big.NewRat(30, 1)))
	sum.Add(sum, new(big.Rat).Mul(dd, big.NewRat(20, 1)))
	sum.Add(sum, new(big.Rat).Mul(t, big.NewRat(10, 1)))
	// Round half up: floor(sum + 1/2).
	sum.Add(sum, big.NewRat(1, 2))
	p.Score = int(new(big.Int).Quo(sum.Num(), sum.Denom()).Int64())
	p.Recency, _ = r.Float64()
	p.Frequency, _ = f.Float64()
	p.Depth, _ = dd.Float64()
	p.Trend, _ = t.Float64()
	return p
}

// Status is SPEC §5's status of a client that someone has joined, from its
// last login: active within at_risk_days, at_risk from then, churned from
// churn_days. With no login at all it is churned.
func Status(lastLogin time.Time, now time.Time, atRiskDays, churnDays int) string {
	if lastLogin.IsZero() {
		return "churned"
	}
	d := int(now.Sub(lastLogin) / Day)
	switch {
	case d >= churnDays:
		return "churned"
	case d >= atRiskDays:
		return "at_risk"
	}
	return "active"
}

// NextChange returns the first moment after now at which the score or the
// status could change with no new activity: a login or page view leaving a
// window, or another day passing since the last login while that still
// moves recency or the status. The zero time means never.
func NextChange(a Activity, now time.Time, churnDays int) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	var last time.Time
	for _, t := range a.Logins {
		if t.After(now) {
			continue
		}
		if t.After(last) {
			last = t
		}
		// A login moves between or out of the windows 14, 28, 30 and 120
		// days after it happened.
		for _, w := range []int{14, 28, 30, 120} {
			consider(t.Add(time.Duration(w) * Day))
		}
	}
	for _, v := range a.Views {
		if !v.At.After(now) {
			consider(v.At.Add(30 * Day))
		}
	}
	if !last.IsZero() {
		// Days since the last login tick every 24 hours; past churn_days
		// neither recency nor the status moves again (at_risk_days is
		// below churn_days, so the status ticks are among these).
		d := int(now.Sub(last) / Day)
		if d < churnDays {
			consider(last.Add(time.Duration(d+1) * Day))
		}
	}
	return next
}
