package incident

import (
	"testing"
	"time"
)

func TestFormatDate(t *testing.T) {
	for _, tc := range []struct {
		t        time.Time
		lang, in string
	}{
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "fr", "1er mars 2026"},
		{time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC), "fr", "15 août 2026"},
		{time.Date(2026, 8, 15, 9, 5, 0, 0, time.UTC), "fr", "15 août 2026 à 9 h 05 (UTC)"},
		{time.Date(2026, 8, 15, 9, 5, 0, 0, time.UTC), "en", "August 15, 2026 at 09:05 UTC"},
	} {
		if got := FormatDate(tc.t, tc.lang); got != tc.in {
			t.Errorf("FormatDate(%s, %s): got %q, want %q", tc.t, tc.lang, got, tc.in)
		}
	}
	if got := number(1234567, "fr"); got != "1\u00a0234\u00a0567" {
		t.Errorf("number fr: got %q", got)
	}
	if got := number(1234567, "en"); got != "1,234,567" {
		t.Errorf("number en: got %q", got)
	}
}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		s, c, l Level
		want    bool
	}{
		{LevelLow, LevelLow, LevelLow, false},
		{LevelHigh, LevelLow, LevelLow, false},       // sensitive, but unlikely to be misused
		{LevelHigh, LevelLow, LevelMedium, true},     // sensitive and possibly misused
		{LevelLow, LevelHigh, LevelMedium, true},     // grave consequences, possibly
		{LevelMedium, LevelMedium, LevelHigh, false}, // likely misused, but mild
		{LevelHigh, LevelHigh, LevelLow, true},       // two high factors
	} {
		if got := Suggest(tc.s, tc.c, tc.l); got != tc.want {
			t.Errorf("Suggest(%s, %s, %s): got %v, want %v", tc.s, tc.c, tc.l, got, tc.want)
		}
	}
}

// TestDiff records only what changed, with values as people read them.
func TestDiff(t *testing.T) {
	n, m := 10, 12
	a := Details{Kind: KindLoss, PeopleCount: &n, Measures: "A", DataCategories: []string{"x"}}
	b := a
	b.PeopleCount, b.Measures, b.DataCategories, b.PeopleApproximate = &m, "B", []string{"x", "y"}, true
	b.PersonNotice.Advice.FR = "Changez vos mots de passe."
	got := diff(a, b)
	want := []Change{{"data_categories", "x", "x, y"}, {"measures", "A", "B"}, {"people_approximate", "", "true"}, {"people_count", "10", "12"},
		{"person_notice.advice.fr", "", "Changez vos mots de passe."}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
