package consent

import (
	"context"
	"slices"
	"strings"
	"time"

	"privaq"
)

// Count is how many decisions of one kind a purpose received in one
// period of a series.
type Count struct {
	Purpose  string
	Decision Decision
	Period   int // from 0, the oldest period
	N        int
}

// Tally is what a purpose received in one period.
type Tally struct {
	Granted, Refused, Withdrawn int
}

// Total is the number of decisions recorded.
func (t Tally) Total() int { return t.Granted + t.Refused + t.Withdrawn }

// Rate is the share of consents granted among the decisions recorded; ok
// is false when none was recorded, so a quiet week is not a 0 % week.
func (t Tally) Rate() (rate float64, ok bool) {
	if t.Total() == 0 {
		return 0, false
	}
	return float64(t.Granted) / float64(t.Total()), true
}

// PurposeRates is one purpose's tallies, one per period.
type PurposeRates struct {
	Purpose string
	Tallies []Tally
}

// Rates are the decisions recorded per purpose over consecutive periods
// of equal length.
type Rates struct {
	Periods  []time.Time // the start of each period, oldest first
	Width    time.Duration
	Purposes []PurposeRates // purposes with at least one record, by key
}

// End is when the last period ends.
func (r Rates) End() time.Time {
	if len(r.Periods) == 0 {
		return time.Time{}
	}
	return r.Periods[len(r.Periods)-1].Add(r.Width)
}

// MaxWeeks bounds a weekly series.
const MaxWeeks = 104

const week = 7 * 24 * time.Hour

// WeeklyRates counts the decisions recorded in each of the last weeks,
// the current one included, per purpose. Weeks start on Monday at 00:00
// UTC. It reads counts only, no person's record: consent.read suffices.
func (s *Service) WeeklyRates(ctx context.Context, actor privaq.Actor, org privaq.OrgID, weeks int) (Rates, error) {
	if err := actor.Require(org, privaq.PermConsentRead); err != nil {
		return Rates{}, err
	}
	if weeks < 1 || weeks > MaxWeeks {
		return Rates{}, privaq.FieldError("weeks", "weeks must be from 1 to %d, not %d", MaxWeeks, weeks)
	}
	now := s.Clock.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	start := monday.Add(-time.Duration(weeks-1) * week)
	counts, err := s.Store.ConsentCounts(ctx, org, start, week, weeks)
	if err != nil {
		return Rates{}, err
	}
	r := Rates{Width: week, Periods: make([]time.Time, weeks)}
	for i := range r.Periods {
		r.Periods[i] = start.Add(time.Duration(i) * week)
	}
	byPurpose := map[string][]Tally{}
	for _, c := range counts {
		if c.Period < 0 || c.Period >= weeks {
			continue
		}
		ts, ok := byPurpose[c.Purpose]
		if !ok {
			ts = make([]Tally, weeks)
			byPurpose[c.Purpose] = ts
		}
		switch c.Decision {
		case Granted:
			ts[c.Period].Granted += c.N
		case Refused:
			ts[c.Period].Refused += c.N
		case Withdrawn:
			ts[c.Period].Withdrawn += c.N
		}
	}
	for p, ts := range byPurpose {
		r.Purposes = append(r.Purposes, PurposeRates{Purpose: p, Tallies: ts})
	}
	slices.SortFunc(r.Purposes, func(a, b PurposeRates) int { return strings.Compare(a.Purpose, b.Purpose) })
	return r, nil
}
