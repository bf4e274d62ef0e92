package metricdata

import (
	"testing"
	"time"
)

func TestBucketizeByRule(t *testing.T) {
	// A Monday, found from an arbitrary day, so no calendar date is assumed.
	mon := time.Unix(0, 0).UTC()
	for mon.Weekday() != time.Monday {
		mon = mon.AddDate(0, 0, 1)
	}
	d := func(n int) string { return mon.AddDate(0, 0, n).Format(time.DateOnly) }
	n := func(k int) int32 { return DayNumber(mon.AddDate(0, 0, k)) }
	days := []DayValue{{Day: n(0), Value: 1}, {Day: n(3), Value: 3}, {Day: n(7), Value: 10}, {Day: n(13), Value: 20}}
	r := Range{mon, mon.AddDate(0, 0, 13)}
	for _, tc := range []struct {
		agg    string
		w1, w2 float64
	}{{"sum", 4, 30}, {"avg", 2, 15}, {"last", 3, 20}} {
		got := Bucketize(days, r, "week", tc.agg)
		if len(got) != 2 || got[0].Date != d(0) || got[1].Date != d(7) || *got[0].Value != tc.w1 || *got[1].Value != tc.w2 {
			t.Errorf("%s: %+v", tc.agg, got)
		}
	}
	got := Bucketize(days, r, "day", "sum")
	if len(got) != 14 || got[1].Value != nil || *got[3].Value != 3 {
		t.Errorf("days: %+v", got)
	}
	if EffectiveAggregation("percent", "sum") != "avg" || EffectiveAggregation("count", "sum") != "sum" {
		t.Error("a percent is summed")
	}
}

func TestMergeAddsDays(t *testing.T) {
	a := []DayValue{{1, 1}, {3, 3}, {5, 5}}
	b := []DayValue{{2, 20}, {3, 30}, {6, 60}}
	got := merge(a, b)
	want := []DayValue{{1, 1}, {2, 20}, {3, 33}, {5, 5}, {6, 60}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v", got)
		}
	}
	g := AggOf(want)
	if g.Sum != 119 || g.Days != 5 || g.Last != 60 || *g.Value("avg") != 119.0/5 || *g.Value("last") != 60 || (Agg{}).Value("sum") != nil {
		t.Fatalf("%+v", g)
	}
}
