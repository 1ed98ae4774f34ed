// Legal deadlines for answering rights requests (P 32; A 98), computed in
// Montréal time with the holidays of the Interpretation Act (I-16).

package rights

import (
	"time"
	// Embedded zone data: America/Montreal must load on hosts without a
	// zoneinfo database (scratch containers, some CI images), or every
	// deadline would silently move by four or five hours.
	_ "time/tzdata"
)

// Reply delays in calendar days (law25.md §3): weekends and holidays
// count; only the last day moves when it is a holiday (I-16 s. 52).
const (
	// AccessReplyDaysPrivate is the private-sector delay: an enterprise
	// answers in writing within 30 days of receipt (P 32); silence past
	// it is a deemed refusal.
	AccessReplyDaysPrivate = 30
	// AccessReplyDaysPublic is the public bodies' delay: 20 days from
	// receipt (A 98, first paragraph).
	AccessReplyDaysPublic = 20
	// AccessExtensionDaysPublic is the one extension a public body may
	// give itself, with notice to the applicant, before the 20 days run
	// out (A 98, second paragraph). See Extend.
	AccessExtensionDaysPublic = 10
)

// montreal is the legal time of Québec: a request received at 23:30 in
// Montréal is received that day, whatever the UTC date. It is loaded once
// and never changes, a constant in all but syntax.
var montreal = mustLoadLocation("America/Montreal")

// mustLoadLocation panics only at package init, and only if the embedded
// time/tzdata lacks the zone: a build defect, not a runtime condition.
func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("rights: " + err.Error())
	}
	return loc
}

// Due returns the deadline for answering a request received at received
// when the law gives days calendar days: 30 under P 32, 20 under A 98.
//
// The receipt instant is read in Montréal time, because the legal day is
// the local one. The day of receipt is not counted and the last day is
// (I-16 s. 52; received 5 January, 30 days: 4 February). The deadline is
// the end of that local day, 23:59:59.999999 in the offset then in force,
// returned in UTC truncated to the microsecond like every stored time.
// If the last day is a holiday (see Holiday) the delay is extended to the
// next day that is not one (I-16 s. 52); a Saturday is not a holiday and
// does not move (its roll-over in s. 52 covers land-registry filings only).
//
// A negative days is treated as 0: a deadline never precedes its receipt.
func Due(received time.Time, days int) time.Time {
	return endOfDay(rollOver(civil(received).AddDate(0, 0, max(days, 0))))
}

// Extend returns the deadline of a public body that extends, once, by
// days (10, A 98) the delay whose deadline is due, as returned by Due.
//
// The extension is added to the delay's own last day, before any holiday
// roll-over, and the result is rolled over again (I-16 s. 52). Counting
// from the rolled-over day would read s. 52 twice in the body's favour and
// can only give a later date; the un-rolled reading gives the earlier one,
// the conservative choice for the applicant, and equals Due(received,
// 20+10). For example, 20 days ending on a Sunday are answered by Monday,
// but extended by 10 they end on the Wednesday of the following week, not
// the Thursday.
//
// A due instant does not say whether it was rolled over: a Monday deadline
// may be a 20th day or a Sunday moved forward. Extend therefore counts from
// the first day of the run of holidays just before due, if any; when due
// was not in fact rolled over, the result is earlier than the law's by at
// most that run's length (one or two days), never later. Callers that
// know the receipt instant and want the exact date use
// Due(received, AccessReplyDaysPublic+AccessExtensionDaysPublic).
// A negative days is treated as 0.
func Extend(due time.Time, days int) time.Time {
	last := civil(due)
	for isHoliday(last.AddDate(0, 0, -1)) {
		last = last.AddDate(0, 0, -1)
	}
	return endOfDay(rollOver(last.AddDate(0, 0, max(days, 0))))
}

// DaysLeft returns the whole calendar days from now's Montréal date to
// due's: 0 on the due day, negative once overdue (a deemed refusal: P 32;
// A 102, unverified). Hours are ignored so that a request shows the same
// urgency all day, and a DST change cannot make 24 hours count otherwise.
func DaysLeft(due, now time.Time) int {
	return int(civil(due).Sub(civil(now)) / (24 * time.Hour))
}

// Holiday reports whether day's date in Montréal is a holiday within
// I-16 s. 61(23), and its English name, shown in the UI to explain why a
// deadline moved. day is an instant: it is converted to Montréal time
// before its date is taken, so pass local midnight or any stored UTC time,
// not a UTC midnight meant as a date.
//
// A named holiday falling on a Sunday is reported by its name. Days the
// Government fixes ad hoc by proclamation or decree (s. 61(23)(j)) cannot
// be foreseen and are not known here; missing one only makes a deadline
// earlier, never later.
func Holiday(day time.Time) (bool, string) {
	name := holidayName(civil(day))
	return name != "", name
}

// civil returns t's Montréal date as midnight UTC: a zone-free calendar
// date on which AddDate and Sub count whole days exactly, DST or not.
func civil(t time.Time) time.Time {
	y, m, d := t.In(montreal).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// endOfDay returns the last microsecond of the civil date day in Montréal,
// in UTC. The time of day exists on every date: Montréal changes its
// clocks at 02:00.
func endOfDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 23, 59, 59, 999_999_000, montreal).UTC()
}

// rollOver returns the first civil date from day on that is not a
// holiday (I-16 s. 52). Holidays come in runs of at most two days.
func rollOver(day time.Time) time.Time {
	for isHoliday(day) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

func isHoliday(day time.Time) bool { return holidayName(day) != "" }

// holidayName returns the name of the holiday on the civil date day, or ""
// when it is not one. The list is I-16 s. 61(23), paragraph by paragraph.
func holidayName(day time.Time) string {
	y, m, d := day.Date()
	wd := day.Weekday()
	switch {
	case m == time.January && d == 1: // (b)
		return "New Year's Day"
	case m == time.June && d == 24: // (e); no move to 25 June here: that
		// is the National Holiday Act's rule for employees, not I-16's.
		return "National Holiday"
	case m == time.July && d == 1 && wd != time.Sunday, // (f)
		m == time.July && d == 2 && wd == time.Monday: // (f): 1 July was a Sunday
		return "Canada Day"
	case m == time.September && wd == time.Monday && d <= 7: // (g)
		return "Labour Day"
	case m == time.October && wd == time.Monday && d >= 8 && d <= 14: // (g.1)
		return "Thanksgiving Day"
	case m == time.December && d == 25: // (h)
		return "Christmas Day"
	case m == time.May && wd == time.Monday && d >= 18 && d <= 24:
		// (i), (j): the Sovereign's birthday is fixed by proclamation every
		// year, and Québec's government fixes the same day by decree as
		// National Patriots' Day; it has been the Monday preceding 25 May
		// every year, so it is computed rather than listed.
		return "National Patriots' Day"
	}
	easter := easterSunday(y)
	switch {
	case day.Equal(easter.AddDate(0, 0, -2)): // (c)
		return "Good Friday"
	case day.Equal(easter.AddDate(0, 0, 1)): // (d)
		return "Easter Monday"
	case wd == time.Sunday: // (a)
		return "Sunday"
	}
	return ""
}

// easterSunday returns the Gregorian Easter Sunday of year as a civil date,
// by the anonymous Gregorian algorithm (Meeus/Jones/Butcher), which holds
// for every year of the Gregorian calendar.
func easterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}
