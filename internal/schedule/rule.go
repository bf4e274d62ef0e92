package schedule

import (
	"fmt"
	"time"
)

// rule is when a schedule fires: weekly on a weekday, or monthly on a day
// (0 = the month's last), at an hour, all in the agency's time zone. Every
// occurrence is built with time.Date in that zone, so 08:00 stays 08:00
// local on both sides of a daylight-saving change (the UTC instant moves).
type rule struct {
	freq    string
	weekday time.Weekday
	day     int // 1–28, 0 = last
	hour    int
}

const (
	Weekly  = "weekly"
	Monthly = "monthly"
)

func (r rule) inMonth(y int, m time.Month, loc *time.Location) time.Time {
	first := time.Date(y, m, 1, 0, 0, 0, 0, loc) // normalises m out of 1–12
	d := r.day
	if d == 0 {
		d = time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, loc).Day()
	}
	return time.Date(first.Year(), first.Month(), d, r.hour, 0, 0, 0, loc)
}

// latest is the last occurrence at or before t.
func (r rule) latest(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	if r.freq == Weekly {
		back := (int(l.Weekday()) - int(r.weekday) + 7) % 7
		c := time.Date(l.Year(), l.Month(), l.Day()-back, r.hour, 0, 0, 0, loc)
		if c.After(t) {
			c = time.Date(l.Year(), l.Month(), l.Day()-back-7, r.hour, 0, 0, 0, loc)
		}
		return c
	}
	c := r.inMonth(l.Year(), l.Month(), loc)
	if c.After(t) {
		c = r.inMonth(l.Year(), l.Month()-1, loc)
	}
	return c
}

// next is the first occurrence after t.
func (r rule) next(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	if r.freq == Weekly {
		fwd := (int(r.weekday) - int(l.Weekday()) + 7) % 7
		c := time.Date(l.Year(), l.Month(), l.Day()+fwd, r.hour, 0, 0, 0, loc)
		if !c.After(t) {
			c = time.Date(l.Year(), l.Month(), l.Day()+fwd+7, r.hour, 0, 0, 0, loc)
		}
		return c
	}
	c := r.inMonth(l.Year(), l.Month(), loc)
	if !c.After(t) {
		c = r.inMonth(l.Year(), l.Month()+1, loc)
	}
	return c
}

// key names an occurrence: its local date and time, unique per schedule.
func key(occ time.Time, loc *time.Location) string { return occ.In(loc).Format("2006-01-02T15:04") }

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// cadence is the rule in words, for the e-mail and the page.
func (r rule) cadence(tz string) string {
	at := fmt.Sprintf("%02d:00 (%s)", r.hour, tz)
	if r.freq == Weekly {
		return "every " + time.Weekday(r.weekday).String() + " at " + at
	}
	if r.day == 0 {
		return "on the last day of every month at " + at
	}
	return "on day " + fmt.Sprint(r.day) + " of every month at " + at
}
