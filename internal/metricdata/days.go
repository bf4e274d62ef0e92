package metricdata

import "time"

// Days are stored as epoch days: the number of days since 1970-01-01
// (negative before), which is what a UTC midnight's Unix time divided by
// 86,400 gives. Years 1900–2999 (ParseDate) fit an int32 easily.

// epochDay parses "YYYY-MM-DD" (a day that exists, years 1900–2999) as an
// epoch day, without time.Parse: it runs for every point of a push.
func epochDay(s string) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	m, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	if !ok1 || !ok2 || !ok3 || y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return int32(civilDay(y, m, d)), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilDay is the epoch day of a date (years ≥ 1, proleptic Gregorian;
// H. Hinnant's days_from_civil).
func civilDay(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// DayNumber is the epoch day of a day (a UTC midnight, as ParseDate and
// Range hold them).
func DayNumber(t time.Time) int32 {
	return int32(civilDay(t.Year(), int(t.Month()), t.Day()))
}

// DayTime is the UTC midnight of an epoch day.
func DayTime(n int32) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

// DayString is an epoch day as "YYYY-MM-DD".
func DayString(n int32) string {
	var b [10]byte
	return string(DayTime(n).AppendFormat(b[:0], time.DateOnly))
}
