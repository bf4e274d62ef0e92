package health

import (
	"fmt"
	"testing"
	"time"
)

var now = time.Now().UTC().Truncate(time.Hour) // from the real time, never a written date

// ago is a moment so many days (fractions allowed) before now.
func ago(days float64) time.Time { return now.Add(-time.Duration(days * float64(Day))) }

// logins returns n logins spread evenly from `from` to `to` days ago.
func logins(n int, from, to float64) []time.Time {
	out := make([]time.Time, n)
	for i := range n {
		d := from
		if n > 1 {
			d = from + (to-from)*float64(i)/float64(n-1)
		}
		out[i] = ago(d)
	}
	return out
}

func cat(ls ...[]time.Time) []time.Time {
	var out []time.Time
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

func views(daysAgo float64, pages ...string) []View {
	out := make([]View, len(pages))
	for i, p := range pages {
		out[i] = View{Page: p, At: ago(daysAgo)}
	}
	return out
}

// Every expected score below is computed by hand from SPEC §5:
// score = round(100 × (0.4R + 0.3F + 0.2D + 0.1T)).
func TestScoreByHand(t *testing.T) {
	cases := []struct {
		name  string
		a     Activity
		churn int
		want  int
		band  string
	}{
		// R 0, F 0/4, D 0, T 0.5 (0 vs 0 is steady): 10 × 0.5.
		{"no activity at all", Activity{}, 45, 5, Churned},
		// R 1 (d 0) → 40; F 1/4 → 7.5; D 0; T 1 (1 > 0) → 10: 57.5.
		{"one login an hour ago", Activity{Logins: logins(1, 1.0/24, 0)}, 45, 58, AtRisk},
		// before = 2 (B = 2/3 < 1 → 4); L30 2 → F 0.5 → 15; d 5 → R 40/45 → 35.56;
		// T 1 → 10: 60.56.
		{"baseline below 1 becomes 4", Activity{Logins: cat(logins(2, 5.5, 6.5), logins(2, 40, 50))}, 45, 61, AtRisk},
		// before = 6 → B 2; L30 1 → F 0.5 → 15; d 20 → R 25/45 → 22.22;
		// T 0 (0 vs 1) → 0: 37.22.
		{"baseline from the 90 days before", Activity{Logins: cat(logins(1, 20.5, 20.5), logins(6, 40, 90))}, 45, 37, Churned},
		// Same data, churn_days 90: R 70/90 → 31.11; + 15: 46.11.
		{"churn_days changed by the agency", Activity{Logins: cat(logins(1, 20.5, 20.5), logins(6, 40, 90))}, 90, 46, AtRisk},
		// L14 7 vs 5 (35 > 30): T 1; L30 12 ≥ 4 → F 1; R 1: 40 + 30 + 10.
		{"rising trend", Activity{Logins: cat(logins(7, 0.1, 7), logins(5, 15, 19))}, 45, 80, Healthy},
		// L14 6 vs 5 is exactly 20 % more: steady, T 0.5: 40 + 30 + 5.
		{"exactly 20% more is steady", Activity{Logins: cat(logins(6, 0.1, 7), logins(5, 15, 19))}, 45, 75, Healthy},
		// L14 3 vs 5 (15 < 20): T 0: 40 + 30.
		{"falling trend", Activity{Logins: cat(logins(3, 0.1, 7), logins(5, 15, 19))}, 45, 70, Healthy},
		// L14 4 vs 5 is exactly 20 % fewer: steady: 40 + 30 + 5.
		{"exactly 20% fewer is steady", Activity{Logins: cat(logins(4, 0.1, 7), logins(5, 15, 19))}, 45, 75, Healthy},
		// P 2 (a page seen three times counts once) → D 0.5 → 10; 40 + 7.5 + 10 + 10.
		{"depth counts distinct pages", Activity{Logins: logins(1, 0.1, 0.1),
			Views: views(2, "reports", "reports", "reports", "users")}, 45, 68, AtRisk},
		// P 6 → D capped at 1 → 20: 40 + 7.5 + 20 + 10.
		{"depth caps at 4 pages", Activity{Logins: logins(1, 0.1, 0.1),
			Views: views(2, "reports", "users", "agencies", "security", "profile", "dashboard")}, 45, 78, Healthy},
		// Views 31 days ago are outside the 30 days: as one login alone.
		{"old page views do not count", Activity{Logins: logins(1, 0.1, 0.1),
			Views: views(31, "reports", "users", "agencies", "security")}, 45, 58, AtRisk},
		// R 1 → 40; L30 13 (6 + 6 + 1), before 60 → B 20 → F 13/20 → 19.5;
		// D 1/4 → 5; T 6 vs 6 → 5: exactly 69.5, rounded half up.
		{"69.5 rounds up to 70, healthy", Activity{Logins: cat(logins(6, 0.05, 6), logins(6, 15, 20), logins(1, 29, 29), logins(60, 31, 119)),
			Views: views(3, "reports")}, 45, 70, Healthy},
		// churn 240, d 33 → R 207/240 → 34.5; F 0; D 0; T 0.5 → 5: 39.5.
		{"39.5 rounds up to 40, at risk", Activity{Logins: logins(1, 33.5, 33.5)}, 240, 40, AtRisk},
		// d 34 → R 206/240 → 34.33; + 5: 39.33.
		{"39.33 rounds down to 39, churned", Activity{Logins: logins(1, 34.5, 34.5)}, 240, 39, Churned},
		// d 50 ≥ churn 45: R 0; + T 0.5 → 5.
		{"past churn_days recency is 0", Activity{Logins: logins(1, 50, 50)}, 45, 5, Churned},
		// A login exactly 30 days ago has left the 30 days: L30 0; d 30 → R 15/45 → 13.33; T 0.5 → 5.
		{"a login exactly 30 days ago is out of the 30 days", Activity{Logins: []time.Time{now.Add(-30 * Day)}}, 45, 18, Churned},
		// Three logins in the 90 days before make B exactly 1 (not below):
		// L30 1 → F 1 → 30; d 10 → R 35/45 → 31.11; T 1 → 10: 71.11.
		{"a baseline of exactly 1 is kept", Activity{Logins: cat(logins(1, 10.5, 10.5), logins(3, 40, 100))}, 45, 71, Healthy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Score(c.a, now, c.churn)
			if p.Score != c.want || BandOf(p.Score) != c.band {
				t.Fatalf("score %d (%s), want %d (%s); parts %+v", p.Score, BandOf(p.Score), c.want, c.band, p)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	cases := []struct {
		last time.Time
		want string
	}{
		{time.Time{}, "churned"},
		{ago(0.5), "active"},
		{ago(13.99), "active"},
		{ago(14), "at_risk"},
		{ago(44.99), "at_risk"},
		{ago(45), "churned"},
		{ago(400), "churned"},
	}
	for _, c := range cases {
		if got := Status(c.last, now, 14, 45); got != c.want {
			t.Errorf("last login %v: %s, want %s", now.Sub(c.last), got, c.want)
		}
	}
}

// NextChange is safe to store: until it, the score and the status are those
// of now (or, when it is the zero time, they are still those a year on).
// Checked over several activity shapes by stepping the clock an hour at a
// time. (It may come early, which costs a recomputation, never a stale value.)
func TestNextChangeIsTheFirstChange(t *testing.T) {
	shapes := []Activity{
		{},
		{Logins: logins(1, 0.3, 0.3)},
		{Logins: cat(logins(7, 0.1, 7), logins(5, 15, 19), logins(9, 35, 110))},
		{Logins: logins(1, 44.2, 44.2)},
		{Logins: logins(2, 1, 2), Views: views(29.5, "reports", "users")},
	}
	for i, a := range shapes {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			at := now
			for range 24 * 200 {
				next := NextChange(a, at, 45)
				p, s := Score(a, at, 45).Score, Status(lastLogin(a), at, 14, 45)
				if next.IsZero() {
					// Nothing moves any more: check a year on.
					later := at.Add(365 * Day)
					if Score(a, later, 45).Score != p || Status(lastLogin(a), later, 14, 45) != s {
						t.Fatalf("at %v: no next change, but a year on the score or status moved", at)
					}
					return
				}
				before := next.Add(-time.Microsecond)
				if Score(a, before, 45).Score != p || Status(lastLogin(a), before, 14, 45) != s {
					t.Fatalf("at %v: next change %v, but something moved before it", at, next)
				}
				at = at.Add(time.Hour)
			}
		})
	}
}

func lastLogin(a Activity) time.Time {
	var last time.Time
	for _, t := range a.Logins {
		if t.After(last) {
			last = t
		}
	}
	return last
}
