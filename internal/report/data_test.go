package report

import (
	"testing"
	"time"
)

func TestPresetRangesEndToday(t *testing.T) {
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for _, p := range Ranges {
		r := PresetRange(today, p)
		if r.To.After(today) || r.From.After(r.To) {
			t.Errorf("%s: %s", p, r)
		}
		if p != "last_month" && !r.To.Equal(today) {
			t.Errorf("%s ends %s, not today", p, r.To)
		}
	}
	if r := PresetRange(today, "last_7_days"); r.Days() != 7 {
		t.Errorf("last 7 days: %d days", r.Days())
	}
	lm := PresetRange(today, "last_month")
	if lm.From.Day() != 1 || lm.To.AddDate(0, 0, 1).Day() != 1 || lm.To.Month() == today.Month() {
		t.Errorf("last month: %s", lm)
	}
	sp, err := Resolve(today, "last_30_days", "previous_year", "", "")
	if err != nil || !sp.Compare.To.Equal(today.AddDate(-1, 0, 0)) || sp.Range.Days() != 30 {
		t.Errorf("previous year: %+v %v", sp, err)
	}
}
