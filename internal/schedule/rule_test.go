package schedule

import (
	"testing"
	"time"
)

// The monthly "last day" follows each month's length (February included,
// leap or not), and a weekly occurrence is always at the hour on the
// weekday; years are computed from the real clock, never written.
func TestRuleOccurrences(t *testing.T) {
	y := time.Now().Year() + 1
	last := rule{freq: Monthly, day: 0, hour: 8}
	midFeb := time.Date(y, time.February, 14, 12, 0, 0, 0, time.UTC)
	if got := last.latest(midFeb, time.UTC); got != time.Date(y, time.January, 31, 8, 0, 0, 0, time.UTC) {
		t.Errorf("latest before mid-February: %v", got)
	}
	febDays := time.Date(y, time.March, 0, 0, 0, 0, 0, time.UTC).Day()
	if got := last.next(midFeb, time.UTC); got.Day() != febDays || got.Month() != time.February || got.Hour() != 8 {
		t.Errorf("next after mid-February: %v (February has %d days)", got, febDays)
	}
	// Exactly at an occurrence: it is the latest, and the next is a month on.
	at := time.Date(y, time.January, 31, 8, 0, 0, 0, time.UTC)
	if last.latest(at, time.UTC) != at || !last.next(at, time.UTC).After(at) {
		t.Errorf("at the occurrence: latest %v next %v", last.latest(at, time.UTC), last.next(at, time.UTC))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	weekly := rule{freq: Weekly, weekday: time.Monday, hour: 8}
	cur := time.Date(y, time.January, 1, 0, 0, 0, 0, berlin)
	for i := 0; i < 60; i++ { // a year of Mondays, across both changes
		n := weekly.next(cur, berlin)
		if l := n.In(berlin); l.Weekday() != time.Monday || l.Hour() != 8 || l.Minute() != 0 || n.Sub(cur) > 7*24*time.Hour+time.Hour {
			t.Fatalf("next after %v: %v", cur, l)
		}
		if weekly.latest(n, berlin) != n {
			t.Fatalf("latest at %v: %v", n, weekly.latest(n, berlin))
		}
		cur = n
	}
	for _, c := range []struct {
		in   any
		want int
		ok   bool
	}{{float64(1), 1, true}, {float64(28), 28, true}, {"last", 0, true}, {" 15 ", 15, true},
		{float64(29), 0, false}, {float64(31), 0, false}, {float64(0), 0, false}, {2.5, 0, false}, {"x", 0, false}, {true, 0, false}} {
		got, err := parseDay(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseDay(%v): %d %v", c.in, got, err)
		}
	}
}
