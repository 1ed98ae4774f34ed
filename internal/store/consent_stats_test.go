package store_test

import (
	"testing"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// TestConsentWeeklyRates records decisions at chosen times, on both
// engines, and reads them back per week: the bucket computed in SQL puts
// each record in its week, the bounds are half-open, and other
// organizations' records never count.
func TestConsentWeeklyRates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Wednesday 2026-04-01 10:00 UTC: the current week starts on
		// Monday 2026-03-30, and three weeks start on 2026-03-16.
		clock := privaq.NewManualClock(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))
		orgs := &org.Service{Store: db, Clock: clock}
		inv := &inventory.Service{Store: db}
		var ids []privaq.OrgID
		for _, slug := range []string{"alpha", "beta"} {
			o, err := orgs.CreateOrg(ctx, privaq.System(0), slug, slug, inventory.RegimePrivate, "fr")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		svc := consentService(t, db, clock)
		record := func(at time.Time, o privaq.OrgID, purpose string, d consent.Decision) {
			t.Helper()
			clock.Add(at.Sub(clock.Now()))
			in := consent.Input{Subject: "s-" + at.Format(time.RFC3339Nano), Purpose: purpose, Decision: d, Mode: consent.Express, Channel: "paper", GivenBy: consent.BySubject}
			actor := privaq.Actor{Kind: privaq.ActorToken, TokenID: 1, OrgID: o, Role: privaq.RoleIntegration}
			if _, err := svc.Record(ctx, actor, o, []consent.Input{in}); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
		record(start.Add(-time.Microsecond), ids[0], "newsletter", consent.Granted) // before the series
		record(start, ids[0], "newsletter", consent.Granted)                        // first instant of week 0
		record(start.Add(3*24*time.Hour), ids[0], "newsletter", consent.Refused)
		record(start.Add(7*24*time.Hour-time.Microsecond), ids[0], "newsletter", consent.Withdrawn) // last instant of week 0
		record(start.Add(14*24*time.Hour), ids[0], "day-camps", consent.Granted)                    // week 2, the current one
		record(start.Add(16*24*time.Hour), ids[0], "newsletter", consent.Granted)
		record(start.Add(16*24*time.Hour+time.Hour), ids[1], "newsletter", consent.Refused) // another organization
		clock.Add(time.Hour)

		auditor := privaq.Actor{Kind: privaq.ActorUser, UserID: 1, OrgID: ids[0], Role: privaq.RoleAuditor}
		r, err := svc.WeeklyRates(ctx, auditor, ids[0], 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Periods) != 3 || !r.Periods[0].Equal(start) || !r.End().Equal(start.Add(21*24*time.Hour)) {
			t.Fatalf("periods: got %v to %v, want 3 weeks from %v", r.Periods, r.End(), start)
		}
		want := []consent.PurposeRates{
			{Purpose: "day-camps", Tallies: []consent.Tally{{}, {}, {Granted: 1}}},
			{Purpose: "newsletter", Tallies: []consent.Tally{{Granted: 1, Refused: 1, Withdrawn: 1}, {}, {Granted: 1}}},
		}
		if len(r.Purposes) != len(want) {
			t.Fatalf("purposes: got %+v, want %+v", r.Purposes, want)
		}
		for i, p := range want {
			got := r.Purposes[i]
			if got.Purpose != p.Purpose || len(got.Tallies) != len(p.Tallies) {
				t.Fatalf("purpose %d: got %+v, want %+v", i, got, p)
			}
			for j := range p.Tallies {
				if got.Tallies[j] != p.Tallies[j] {
					t.Errorf("%s week %d: got %+v, want %+v", p.Purpose, j, got.Tallies[j], p.Tallies[j])
				}
			}
		}
		if rate, ok := r.Purposes[1].Tallies[0].Rate(); !ok || rate < 0.33 || rate > 0.34 {
			t.Errorf("newsletter week 0 rate: got %v %v, want 1/3", rate, ok)
		}
		if _, ok := r.Purposes[1].Tallies[1].Rate(); ok {
			t.Errorf("a week without decisions has a rate")
		}
		// Counts name nobody, but they are still the organization's.
		if _, err := svc.WeeklyRates(ctx, privaq.Actor{Kind: privaq.ActorUser, OrgID: ids[1], Role: privaq.RoleOfficer}, ids[0], 3); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("another organization's officer: got %v, want not_found", err)
		}
		if _, err := svc.WeeklyRates(ctx, auditor, ids[0], 0); !privaq.IsCode(err, privaq.EValidation) {
			t.Errorf("0 weeks: got %v, want a validation error", err)
		}
	})
}
