package consent

import (
	"testing"
	"time"

	"privaq/internal/inventory"
)

func TestISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                  "PT0S",
		-time.Hour:                         "PT0S",
		30 * 24 * time.Hour:                "P30D",
		26*time.Hour + 30*time.Minute:      "P1DT2H30M",
		90 * time.Second:                   "PT1M30S",
		1500 * time.Millisecond:            "PT1.5S",
		time.Hour + 250*time.Microsecond:   "PT1H0.00025S",
		365*24*time.Hour + time.Nanosecond: "P365DT0.000000001S",
	} {
		if got := isoDuration(d); got != want {
			t.Errorf("isoDuration(%s): got %s, want %s", d, got, want)
		}
	}
}

// TestISONotice: a record given under a policy version links to that
// version's public page; a purpose no longer in the inventory keeps its key.
func TestISONotice(t *testing.T) {
	c := newISOContext(&inventory.Document{Org: inventory.Profile{Name: "Alpha"}}, ExportSite{Slug: "alpha", BaseURL: "https://privacy.example.test/"})
	r := c.record(&Record{ID: "r1", Seq: 4, Subject: "s", Purpose: "gone", Decision: Withdrawn, Mode: Implied, GivenBy: BySubject,
		Channel: "banner", PolicyVersion: 3, RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Hash: make([]byte, 32)})
	n := r.Processing.PrivacyNotice
	if n == nil || n.URL != "https://privacy.example.test/o/alpha/privacy/v/3" || n.Version != 3 || n.NoticeID != "policy-v3" {
		t.Errorf("notice: got %+v", n)
	}
	if p := r.Processing.Purposes[0]; p.PurposeID != "gone" || p.Purpose != "" || p.CollectionMethod != "banner" {
		t.Errorf("purpose: got %+v", p)
	}
	if e := r.Events[0]; e.EventState != "consent_withdrawn" || e.EventType != "implied_consent" || e.EntityID != "s" ||
		e.EntityRole != "pii_principal" || e.ValidityDuration != nil || string(e.Evidence) != "null" {
		t.Errorf("event: got %+v", e)
	}
	if r.Processing.Language[0] != "fr" || r.Parties[0].PartyName != "Alpha" {
		t.Errorf("defaults: got %v, %+v", r.Processing.Language, r.Parties[0])
	}
}
