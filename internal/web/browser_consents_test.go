package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"privaq/internal/browsertest"
)

// browserConsentRecorded is a paper consent entered by hand: the officer
// first says the child gave it, is told beside the field that a parent
// must, corrects it, and finds the record in the child's history and on
// the dashboard's chart.
func browserConsentRecorded(t *testing.T, ctx context.Context, st *browserStack) {
	browsertest.ShotOnFailure(t, ctx)
	browserLogin(t, ctx, st, "fr")
	browserShot(t, ctx, st, "dashboard-no-consents")
	nav := chromedp.CSS(`nav.side a[href$="/consents"]`)
	if status, _ := browsertest.Response(t, ctx, "open Consentements", chromedp.Click(nav)); status != http.StatusOK {
		t.Fatalf("consents page: got status %d, want 200", status)
	}
	browserShot(t, ctx, st, "consents")
	if status, _ := browsertest.Response(t, ctx, "click the record button", chromedp.Click(chromedp.CSS(`main a.button[href$="/consents/new"]`))); status != http.StatusOK {
		t.Fatalf("consent form: got status %d, want 200", status)
	}
	browsertest.Do(t, ctx, "fill the form",
		chromedp.SendKeys(chromedp.ID("f-subject"), "dossier-0042"),
		chromedp.SetValue(chromedp.ID("f-subject_category"), "children"),
		chromedp.SetValue(chromedp.ID("f-purpose"), "day-camps"),
		chromedp.Click(chromedp.ID("f-decision-granted")),
		chromedp.SetValue(chromedp.ID("f-channel"), "paper"),
		chromedp.SendKeys(chromedp.ID("f-form_ref"), "F-2026-017"),
		chromedp.SendKeys(chromedp.ID("f-note"), "Signé à l'accueil.\nCopie classée."),
	)
	browserShot(t, ctx, st, "consent-form")
	submit := chromedp.CSS(`main form.consent-form button[type=submit]`)
	if status, _ := browsertest.Response(t, ctx, "submit", chromedp.Click(submit)); status != http.StatusUnprocessableEntity {
		t.Fatalf("a child's own consent: got status %d, want 422", status)
	}
	if msg := browsertest.Run(t, ctx, "read the error", chromedp.Text(chromedp.ID("e-given_by"))); !strings.Contains(msg, "moins de 14") {
		t.Errorf("#e-given_by: got %q, want the French rule for children under 14", msg)
	}
	if got := browsertest.Run(t, ctx, "read the note", chromedp.Value(chromedp.ID("f-note"))); got != "Signé à l'accueil.\nCopie classée." {
		t.Errorf("note kept: got %q", got)
	}
	// The summary's link takes the keyboard to the group in error.
	browsertest.Do(t, ctx, "follow the summary's link", chromedp.Click(chromedp.CSS(`main [role=alert] a[href="#f-given_by"]`)))
	if got := browsertest.Run(t, ctx, "read the focus", chromedp.Evaluate[string](browserFocused)); got != "#f-given_by" {
		t.Errorf("after the summary's link the focus is on %s, want #f-given_by", got)
	}
	browserShot(t, ctx, st, "consent-form-error")
	browsertest.Do(t, ctx, "correct who decided",
		chromedp.Click(chromedp.ID("f-given_by-parental_authority")),
		chromedp.SendKeys(chromedp.ID("f-representative"), "Marie-Ève Tremblay"),
	)
	status, url := browsertest.Response(t, ctx, "submit", chromedp.Click(submit))
	if status != http.StatusOK || !strings.HasPrefix(url, st.org("consents/subject?")) {
		t.Fatalf("after recording: got %d %s, want 200 on the history", status, url)
	}
	if flash := browsertest.Run(t, ctx, "read the flash", chromedp.Text(chromedp.CSS(`main [role=status]`))); !strings.Contains(flash, "n°\u00a01") {
		t.Errorf("flash: got %q, want the record's number", flash)
	}
	if row := browsertest.Run(t, ctx, "read the record", chromedp.Text(chromedp.CSS(`table.ledger tbody tr`))); !strings.Contains(row, "Marie-Ève Tremblay") || !strings.Contains(row, "F-2026-017") {
		t.Errorf("history row: got %q, want the representative and the form reference", row)
	}
	browserShot(t, ctx, st, "consent-history")
	browsertest.Do(t, ctx, "open the dashboard and its data", chromedp.Navigate(st.org("")),
		chromedp.Click(chromedp.CSS(`details.chart-data summary`)))
	if n := browsertest.Run(t, ctx, "count the markers", chromedp.Evaluate[int](`document.querySelectorAll('.chart > svg .series .mark').length`)); n != 1 {
		t.Errorf("chart markers: got %d, want 1", n)
	}
	browserShot(t, ctx, st, "dashboard-consents")
}

// consentAxePages are the consent pages the axe audit adds to its list.
func consentAxePages(ctx context.Context, st *browserStack) []struct {
	name string
	open func(t *testing.T, lang string)
} {
	return []struct {
		name string
		open func(t *testing.T, lang string)
	}{
		{"consents", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("consents?lang="+lang)))
		}},
		{"consent-form-error", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "fill",
				chromedp.Navigate(st.org("consents/new?lang="+lang)),
				chromedp.SetValue(chromedp.ID("f-subject_category"), "children"),
			)
			if status, _ := browsertest.Response(t, ctx, "submit", chromedp.Click(chromedp.CSS(`main form.consent-form button[type=submit]`))); status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid form: got status %d, want 422", status)
			}
		}},
		{"consent-history", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("consents/subject?s=dossier-0042&recorded=1&hash=0123abcd&lang="+lang)))
		}},
		{"dashboard-chart-data", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("?lang="+lang)),
				chromedp.Click(chromedp.CSS(`details.chart-data summary`)))
		}},
	}
}
