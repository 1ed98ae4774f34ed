package consent_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// TestCookiePurposes checks the banner's pseudo-purposes derived from the
// inventory: one per category declared, necessary not requiring consent,
// the others express, and none for a category without cookies.
func TestCookiePurposes(t *testing.T) {
	doc := inventory.Demo()
	r := consent.RulesOf(doc)
	for p, want := range map[string]inventory.Consent{
		"cookies.necessary":   inventory.ConsentNotRequired,
		"cookies.preferences": inventory.ConsentExpress,
		"cookies.statistics":  inventory.ConsentExpress,
		"cookies.marketing":   inventory.ConsentExpress,
	} {
		if got, ok := r.Purposes[p]; !ok || got != want {
			t.Errorf("purpose %s: got %q (present %v), want %q", p, got, ok, want)
		}
	}
	if got, want := consent.CookieCategories(doc), []inventory.CookieCategory{"necessary", "preferences", "statistics", "marketing"}; !slices.Equal(got, want) {
		t.Errorf("categories: got %v, want %v", got, want)
	}
	doc.Cookies = slices.DeleteFunc(doc.Cookies, func(c inventory.Cookie) bool { return c.Category == inventory.CookieMarketing })
	if _, ok := consent.RulesOf(doc).Purposes["cookies.marketing"]; ok {
		t.Error("cookies.marketing is a purpose of an inventory without marketing cookies")
	}
	in := consent.Input{Subject: "v_0123456789abcdef0123456789", Purpose: "cookies.marketing", Decision: consent.Granted, Mode: consent.Express,
		Channel: "banner", GivenBy: consent.BySubject}
	if _, errs := consent.RulesOf(doc).Check(in, time.Now(), 1); len(errs) != 1 || errs[0].Rule != "unknown_purpose" {
		t.Errorf("check cookies.marketing without marketing cookies: got %v, want one unknown_purpose error", errs)
	}
}

// TestCookieDecisions records banner choices and asks the decisions the
// website's scripts rely on, on both engines.
func TestCookieDecisions(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		ev := json.RawMessage(`{"revision":"abc123","gpc":false,"action":"custom","origin":"https://www.example.org"}`)
		in := func(purpose string, d consent.Decision) consent.Input {
			return consent.Input{Subject: "v_visitor000000000000000001", Purpose: purpose, Decision: d, Mode: consent.Express,
				Channel: "banner", GivenBy: consent.BySubject, Evidence: ev}
		}
		if _, err := l.svc.Record(ctx, l.actor, l.org, []consent.Input{in("cookies.statistics", consent.Granted), in("cookies.marketing", consent.Refused)}); err != nil {
			t.Fatal(err)
		}
		ans, err := l.svc.DecideBulk(ctx, l.actor, l.org, []consent.Pair{
			{Subject: "v_visitor000000000000000001", Purpose: "cookies.statistics"},
			{Subject: "v_visitor000000000000000001", Purpose: "cookies.marketing"},
			{Subject: "v_visitor000000000000000001", Purpose: "cookies.preferences"},
			{Subject: "v_visitor000000000000000001", Purpose: "cookies.necessary"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			allowed bool
			state   string
		}{{true, consent.StateGranted}, {false, consent.StateRefused}, {false, consent.StateNone}, {true, consent.StateNotRequired}}
		for i, w := range want {
			if ans[i].Allowed != w.allowed || ans[i].State != w.state {
				t.Errorf("decision %d: got allowed %v state %s, want %v %s", i, ans[i].Allowed, ans[i].State, w.allowed, w.state)
			}
		}
		_, err = l.svc.Decide(ctx, l.actor, l.org, []consent.Pair{{Subject: "v_visitor000000000000000001", Purpose: "cookies.unknown"}})
		if !privaq.IsCode(err, privaq.EValidation) {
			t.Errorf("decision on cookies.unknown: got %v, want validation_failed", err)
		}
	})
}
