package rights

import (
	"testing"
	"time"
)

// at returns a Montréal wall-clock instant.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, montreal)
}

// endOf returns the expected deadline instant: the last microsecond of the
// Montréal date, in UTC.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999_999_000, montreal).UTC()
}

// show formats an instant in Montréal time with its offset, so a failure
// shows both the date and the DST offset.
func show(t time.Time) string { return t.In(montreal).Format(time.RFC3339Nano) }

func TestDeadlineDue(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		days     int
		want     time.Time
	}{
		{"receipt day not counted", at(2026, 1, 5, 9, 0), 30, endOf(2026, 2, 4)},
		{"receipt at local midnight", at(2026, 1, 5, 0, 0), 30, endOf(2026, 2, 4)},
		{"receipt at last local minute", at(2026, 1, 5, 23, 59), 30, endOf(2026, 2, 4)},
		{"zero days ends on the receipt day", at(2026, 1, 5, 9, 0), 0, endOf(2026, 1, 5)},
		{"negative days treated as zero", at(2026, 1, 5, 9, 0), -3, endOf(2026, 1, 5)},

		// 23:30 EST is 04:30 UTC the next day: the Montréal date counts.
		{"late evening EST, given in UTC", time.Date(2026, 1, 6, 4, 30, 0, 0, time.UTC), 30, endOf(2026, 2, 4)},
		{"late evening EDT, given in UTC", time.Date(2026, 7, 10, 3, 30, 0, 0, time.UTC), 30, endOf(2026, 8, 8)},
		{"just after local midnight, given in UTC", time.Date(2026, 1, 6, 5, 0, 0, 0, time.UTC), 30, endOf(2026, 2, 5)},

		{"31 January 2026 + 30", at(2026, 1, 31, 12, 0), 30, endOf(2026, 3, 2)},
		{"31 January 2027 + 30, non-leap", at(2027, 1, 31, 12, 0), 30, endOf(2027, 3, 2)},
		{"31 January 2028 + 30, leap", at(2028, 1, 31, 12, 0), 30, endOf(2028, 3, 1)},
		{"1 February 2027 + 30, non-leap", at(2027, 2, 1, 12, 0), 30, endOf(2027, 3, 3)},
		{"1 February 2028 + 30, leap", at(2028, 2, 1, 12, 0), 30, endOf(2028, 3, 2)},
		{"ends on 29 February 2028", at(2028, 1, 30, 12, 0), 30, endOf(2028, 2, 29)},

		// DST starts Sunday 8 March 2026, ends Sunday 1 November 2026.
		{"Saturday before spring DST, -05:00", at(2026, 2, 5, 12, 0), 30, endOf(2026, 3, 7)},
		{"Sunday of spring DST to Monday, -04:00", at(2026, 2, 6, 12, 0), 30, endOf(2026, 3, 9)},
		{"received during the skipped hour", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), 20, endOf(2026, 3, 28)},
		{"Saturday before fall DST, -04:00", at(2026, 10, 1, 12, 0), 30, endOf(2026, 10, 31)},
		{"Sunday of fall DST to Monday, -05:00", at(2026, 10, 2, 12, 0), 30, endOf(2026, 11, 2)},
		{"received in the repeated hour", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), 20, endOf(2026, 11, 21)},

		{"Sunday moves to Monday", at(2026, 1, 5, 9, 0), AccessReplyDaysPublic, endOf(2026, 1, 26)},
		{"Saturday does not move", at(2026, 2, 5, 9, 0), 30, endOf(2026, 3, 7)},
		{"Good Friday 2027 to Saturday", at(2027, 2, 24, 9, 0), 30, endOf(2027, 3, 27)},
		{"Easter Sunday 2027 over Easter Monday to Tuesday", at(2027, 2, 26, 9, 0), 30, endOf(2027, 3, 30)},
		{"Easter Monday 2027 to Tuesday", at(2027, 2, 27, 9, 0), 30, endOf(2027, 3, 30)},
		{"24 June 2029, a Sunday, to Monday 25", at(2029, 5, 25, 9, 0), 30, endOf(2029, 6, 25)},
		{"1 July 2029, a Sunday, over 2 July to 3 July", at(2029, 6, 1, 9, 0), 30, endOf(2029, 7, 3)},
		{"1 July 2026, a Wednesday, to 2 July", at(2026, 6, 1, 9, 0), 30, endOf(2026, 7, 2)},
		{"Christmas 2026, a Friday, to Saturday", at(2026, 11, 25, 9, 0), 30, endOf(2026, 12, 26)},
		{"Christmas 2027, a Saturday, over Sunday to Monday", at(2027, 11, 25, 9, 0), 30, endOf(2027, 12, 27)},
		{"1 January 2027 to Saturday 2", at(2026, 12, 2, 9, 0), 30, endOf(2027, 1, 2)},
		{"National Patriots' Day 2026", at(2026, 4, 28, 9, 0), AccessReplyDaysPublic, endOf(2026, 5, 19)},
		{"Labour Day 2026", at(2026, 8, 18, 9, 0), AccessReplyDaysPublic, endOf(2026, 9, 8)},
		{"Thanksgiving 2026", at(2026, 9, 22, 9, 0), AccessReplyDaysPublic, endOf(2026, 10, 13)},
		{"public 20 days, weekday", at(2026, 1, 7, 9, 0), AccessReplyDaysPublic, endOf(2026, 1, 27)},
		{"private 30 days", at(2026, 1, 7, 9, 0), AccessReplyDaysPrivate, endOf(2026, 2, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Due(tt.received, tt.days)
			if !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", show(got), show(tt.want))
			}
			if got.Location() != time.UTC {
				t.Errorf("got location %v, want UTC", got.Location())
			}
		})
	}
}

// TestDeadlineOffset pins the end-of-day instant around both 2026 DST
// changes: the same wall clock is a different UTC instant on each side.
func TestDeadlineOffset(t *testing.T) {
	tests := []struct {
		received time.Time
		days     int
		want     string // UTC
		offset   int    // seconds east of UTC, local
	}{
		{at(2026, 2, 5, 12, 0), 30, "2026-03-08T04:59:59.999999Z", -5 * 3600},
		{at(2026, 2, 6, 12, 0), 30, "2026-03-10T03:59:59.999999Z", -4 * 3600},
		{at(2026, 10, 1, 12, 0), 30, "2026-11-01T03:59:59.999999Z", -4 * 3600},
		{at(2026, 10, 2, 12, 0), 30, "2026-11-03T04:59:59.999999Z", -5 * 3600},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := Due(tt.received, tt.days)
			if s := got.Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
			local := got.In(montreal)
			if _, off := local.Zone(); off != tt.offset {
				t.Errorf("got offset %d, want %d", off, tt.offset)
			}
			if h, m, s := local.Clock(); h != 23 || m != 59 || s != 59 || local.Nanosecond() != 999_999_000 {
				t.Errorf("got local clock %s, want 23:59:59.999999", local.Format("15:04:05.999999999"))
			}
		})
	}
}

func TestDeadlineExtend(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		want     time.Time
	}{
		// 20 days end on Tuesday 27 January; +10: Friday 6 February.
		{"plain", at(2026, 1, 7, 9, 0), endOf(2026, 2, 6)},
		// 20 days end on Sunday 25 January, answered by Monday 26; the
		// extension counts from Sunday: Wednesday 4 February, not Thursday 5.
		{"from the un-rolled last day", at(2026, 1, 5, 9, 0), endOf(2026, 2, 4)},
		// 20 days end on Thursday 29 January; +10 is Sunday 8 February.
		{"extension rolled over", at(2026, 1, 9, 9, 0), endOf(2026, 2, 9)},
		// 20 days end on Easter Sunday 2027 (28 March), answered by
		// Tuesday 30; +10 from Sunday: Wednesday 7 April.
		{"from the start of a two-day run", at(2027, 3, 8, 9, 0), endOf(2027, 4, 7)},
		// The documented approximation: 20 days end on Monday 26 January
		// itself, but a Monday deadline may be a rolled Sunday, so the
		// extension counts from Sunday 25: 4 February, one day before the
		// exact Due(received, 30), 5 February.
		{"Monday deadline not rolled", at(2026, 1, 6, 9, 0), endOf(2026, 2, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extend(Due(tt.received, AccessReplyDaysPublic), AccessExtensionDaysPublic)
			if !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", show(got), show(tt.want))
			}
		})
	}
}

func TestDeadlineDaysLeft(t *testing.T) {
	due := Due(at(2026, 1, 5, 9, 0), 30) // end of 4 February 2026
	spring := endOf(2026, 3, 9)          // Monday after the spring DST change
	tests := []struct {
		name string
		due  time.Time
		now  time.Time
		want int
	}{
		{"receipt day", due, at(2026, 1, 5, 9, 0), 30},
		{"day before, noon", due, at(2026, 2, 3, 12, 0), 1},
		{"day before, last minute", due, at(2026, 2, 3, 23, 59), 1},
		{"due day, midnight", due, at(2026, 2, 4, 0, 0), 0},
		{"due day, last instant", due, due, 0},
		{"overdue by one microsecond", due, due.Add(time.Microsecond), -1},
		{"overdue by a week", due, at(2026, 2, 11, 8, 0), -7},
		{"due day evening given in UTC", due, time.Date(2026, 2, 5, 4, 30, 0, 0, time.UTC), 0},
		{"across spring DST", spring, at(2026, 3, 7, 12, 0), 2},
		{"across spring DST, late evening", spring, at(2026, 3, 7, 23, 30), 2},
		{"after spring DST, evening in UTC", spring, time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), 0},
		{"across fall DST", endOf(2026, 11, 2), at(2026, 10, 31, 0, 30), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysLeft(tt.due, tt.now); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestHoliday(t *testing.T) {
	tests := []struct {
		day  time.Time
		want string // "" when not a holiday
	}{
		{at(2026, 1, 1, 12, 0), "New Year's Day"},
		{at(2026, 1, 2, 12, 0), ""},
		{at(2026, 1, 3, 12, 0), ""}, // Saturday
		{at(2026, 1, 4, 12, 0), "Sunday"},
		{at(2026, 4, 3, 12, 0), "Good Friday"},
		{at(2026, 4, 5, 12, 0), "Sunday"}, // Easter Sunday
		{at(2026, 4, 6, 12, 0), "Easter Monday"},
		{at(2027, 3, 26, 12, 0), "Good Friday"},
		{at(2027, 3, 27, 12, 0), ""}, // Holy Saturday
		{at(2027, 3, 29, 12, 0), "Easter Monday"},
		{at(2028, 4, 14, 12, 0), "Good Friday"},
		{at(2028, 4, 17, 12, 0), "Easter Monday"},
		{at(2026, 5, 18, 12, 0), "National Patriots' Day"},
		{at(2026, 5, 25, 12, 0), ""}, // a Monday, but 25 May itself
		{at(2027, 5, 24, 12, 0), "National Patriots' Day"},
		{at(2026, 6, 24, 12, 0), "National Holiday"},
		{at(2029, 6, 24, 12, 0), "National Holiday"}, // also a Sunday
		{at(2029, 6, 25, 12, 0), ""},                 // not under I-16
		{at(2026, 7, 1, 12, 0), "Canada Day"},
		{at(2026, 7, 2, 12, 0), ""},
		{at(2029, 7, 1, 12, 0), "Sunday"},
		{at(2029, 7, 2, 12, 0), "Canada Day"},
		{at(2026, 9, 7, 12, 0), "Labour Day"},
		{at(2026, 9, 14, 12, 0), ""},
		{at(2026, 10, 5, 12, 0), ""},
		{at(2026, 10, 12, 12, 0), "Thanksgiving Day"},
		{at(2026, 11, 11, 12, 0), ""}, // Remembrance Day: not in I-16
		{at(2026, 12, 25, 12, 0), "Christmas Day"},
		{at(2026, 12, 26, 12, 0), ""},              // Boxing Day: not in I-16
		{at(2027, 12, 25, 12, 0), "Christmas Day"}, // a Saturday
		// 22:00 EST on 25 December is 03:00 UTC on the 26th.
		{time.Date(2026, 12, 26, 3, 0, 0, 0, time.UTC), "Christmas Day"},
		{time.Date(2026, 12, 26, 5, 0, 0, 0, time.UTC), ""},
	}
	for _, tt := range tests {
		t.Run(show(tt.day), func(t *testing.T) {
			ok, name := Holiday(tt.day)
			if ok != (tt.want != "") || name != tt.want {
				t.Errorf("got (%t, %q), want (%t, %q)", ok, name, tt.want != "", tt.want)
			}
		})
	}
}

func TestHolidayEaster(t *testing.T) {
	tests := []struct {
		year  int
		month time.Month
		day   int
	}{
		{1818, time.March, 22}, // earliest possible date
		{1943, time.April, 25}, // latest possible date
		{2008, time.March, 23},
		{2011, time.April, 24},
		{2019, time.April, 21},
		{2024, time.March, 31},
		{2025, time.April, 20},
		{2026, time.April, 5},
		{2027, time.March, 28},
		{2028, time.April, 16},
		{2038, time.April, 25},
		{2285, time.March, 22},
	}
	for _, tt := range tests {
		want := time.Date(tt.year, tt.month, tt.day, 0, 0, 0, 0, time.UTC)
		if got := easterSunday(tt.year); !got.Equal(want) {
			t.Errorf("%d: got %s, want %s", tt.year, got.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	}
}

// checkDue asserts the properties every deadline must have, whatever the
// receipt instant and delay.
func checkDue(t *testing.T, received time.Time, days int) {
	t.Helper()
	got := Due(received, days)
	local := got.In(montreal)

	if earliest := received.In(montreal).AddDate(0, 0, days); got.Before(earliest) {
		t.Fatalf("Due(%s, %d): got %s, want not before %s", show(received), days, show(got), show(earliest))
	}
	if h, m, s := local.Clock(); h != 23 || m != 59 || s != 59 || local.Nanosecond() != 999_999_000 {
		t.Fatalf("Due(%s, %d): got %s, want 23:59:59.999999 local", show(received), days, show(got))
	}
	if got.Location() != time.UTC || !got.Equal(got.Truncate(time.Microsecond)) {
		t.Fatalf("Due(%s, %d): got %s, want UTC truncated to µs", show(received), days, got.Format(time.RFC3339Nano))
	}
	if ok, name := Holiday(got); ok {
		t.Fatalf("Due(%s, %d): got %s, a holiday (%s), want a non-holiday", show(received), days, show(got), name)
	}
	// Minimal roll-over: every day between the last day and the deadline
	// is a holiday, and there are at most two of them.
	last := civil(received).AddDate(0, 0, days)
	moved := DaysLeft(got, last.Add(12*time.Hour))
	if moved < 0 || moved > 2 {
		t.Fatalf("Due(%s, %d): got %s, moved %d days, want 0 to 2", show(received), days, show(got), moved)
	}
	for d := range moved {
		if !isHoliday(last.AddDate(0, 0, d)) {
			t.Fatalf("Due(%s, %d): got %s, want %s (not a holiday)", show(received), days, show(got), last.AddDate(0, 0, d).Format(time.DateOnly))
		}
	}
	if got, want := DaysLeft(got, received), days+moved; got != want {
		t.Fatalf("DaysLeft(Due(%s, %d), receipt): got %d, want %d", show(received), days, got, want)
	}
	// The extension is never later than the exact un-rolled reading and
	// never earlier than the deadline it extends by more than its run.
	ext, exact := Extend(got, AccessExtensionDaysPublic), Due(received, days+AccessExtensionDaysPublic)
	if ext.After(exact) {
		t.Fatalf("Extend(Due(%s, %d), 10): got %s, want not after %s", show(received), days, show(ext), show(exact))
	}
	if d := DaysLeft(ext, got); d < AccessExtensionDaysPublic-2 {
		t.Fatalf("Extend(Due(%s, %d), 10): got %s, only %d days after %s", show(received), days, show(ext), d, show(got))
	}
	if ok, name := Holiday(ext); ok {
		t.Fatalf("Extend(Due(%s, %d), 10): got %s, a holiday (%s)", show(received), days, show(ext), name)
	}
}

// TestDeadlineProperties checks every receipt day of 2026 to 2035, at the
// first and last minute of the local day, for both legal delays.
func TestDeadlineProperties(t *testing.T) {
	for day := at(2026, 1, 1, 0, 0); day.Year() < 2036; day = day.AddDate(0, 0, 1) {
		for _, received := range []time.Time{day, day.Add(23*time.Hour + 59*time.Minute)} {
			checkDue(t, received, AccessReplyDaysPrivate)
			checkDue(t, received, AccessReplyDaysPublic)
		}
	}
}

func FuzzDeadlineDue(f *testing.F) {
	f.Add(at(2026, 1, 5, 9, 0).Unix(), 30)
	f.Add(time.Date(2026, 1, 6, 4, 30, 0, 0, time.UTC).Unix(), 30)
	f.Add(at(2027, 2, 26, 9, 0).Unix(), 30)
	f.Add(at(2029, 6, 1, 9, 0).Unix(), 30)
	f.Add(at(2026, 3, 8, 2, 30).Unix(), 20)
	f.Add(at(2026, 11, 1, 1, 30).Unix(), 0)
	f.Fuzz(func(t *testing.T, unix int64, days int) {
		// Receipts from 1970 to 2200, delays up to a year and a half.
		const span = 230 * 365 * 24 * 3600
		unix %= span
		if unix < 0 {
			unix += span
		}
		days %= 550
		if days < 0 {
			days = -days
		}
		checkDue(t, time.Unix(unix, 0), days)
	})
}
