package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPolicyVersionsAdmin(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("staff@demo.test")
	page := "/admin/o/demo/policy"
	code, body := b.get(page)
	if code != http.StatusOK || !strings.Contains(body, "Créer une version brouillon") || !strings.Contains(body, "Aucune version") {
		t.Fatalf("policy page: got %d, want the draft form and no versions", code)
	}
	tok := b.csrf(page)
	if code, _, _ := b.post(page+"/versions", url.Values{}); code != http.StatusForbidden {
		t.Errorf("draft without CSRF token: got %d, want 403", code)
	}
	code, _, h := b.post(page+"/versions", url.Values{"_csrf": {tok}})
	if code != http.StatusSeeOther || h.Get("Location") != page+"?drafted=1" {
		t.Fatalf("create draft: got %d to %q, want 303 to %s?drafted=1", code, h.Get("Location"), page)
	}
	code, body = b.get(page + "?drafted=1")
	if code != http.StatusOK || !strings.Contains(body, "Version brouillon 1 créée") || !strings.Contains(body, "Publier la version 1") {
		t.Fatalf("after the draft: got %d, want the flash and the publication form", code)
	}
	// Nothing is current: the first version may take effect now.
	code, _, h = b.post(page+"/versions/1/publish", url.Values{"_csrf": {tok}, "summary_fr": {"Première version"}})
	if code != http.StatusSeeOther || h.Get("Location") != page+"?published=1" {
		t.Fatalf("publish: got %d to %q", code, h.Get("Location"))
	}
	if code, body = b.get(page); !strings.Contains(body, "En vigueur") {
		t.Errorf("versions: got %d without a current version", code)
	}
	if _, _, h = b.post(page+"/versions", url.Values{"_csrf": {tok}}); h.Get("Location") != page+"?drafted=2" {
		t.Fatalf("second draft: got %q", h.Get("Location"))
	}
	// Inside the notice period, and editorial without a reason: errors
	// beside their fields, in the user's language, input kept.
	soon := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	code, body, _ = b.post(page+"/versions/2/publish", url.Values{"_csrf": {tok}, "effective_on": {soon}, "summary_fr": {"Texte gardé"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-effective-2"`) || !strings.Contains(body, "préavis") || !strings.Contains(body, "Texte gardé") {
		t.Errorf("publish inside the notice: got %d, want 422 with the error beside the date", code)
	}
	code, body, _ = b.post(page+"/versions/2/publish?lang=en", url.Values{"_csrf": {tok}, "editorial": {"on"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-reason-2"`) {
		t.Errorf("editorial without reason: got %d, want 422 with the error beside the reason", code)
	}
	code, _, _ = b.post(page+"/versions/2/publish", url.Values{"_csrf": {tok}, "editorial": {"on"}, "reason": {"Coquille"}})
	if code != http.StatusSeeOther {
		t.Errorf("editorial with reason: got %d, want 303", code)
	}

	a := s.browser(t)
	a.login("auditor@demo.test")
	if _, body := a.get(page); strings.Contains(body, "Créer une version brouillon") || !strings.Contains(body, "Remplacée") {
		t.Errorf("auditor: want the versions without the forms")
	}
}

// TestPolicyParagraphs checks the officer's paragraphs: saved per section
// and language, errors shown beside their field with the input kept, and
// carried into the policy.
func TestPolicyParagraphs(t *testing.T) {
	s := newTestSite(t, "")
	b := s.browser(t)
	b.login("staff@demo.test")
	page := "/admin/o/demo/policy/paragraphs"
	code, body := b.get(page)
	if code != http.StatusOK || strings.Count(body, "<textarea") != 24 {
		t.Fatalf("paragraphs page: got %d with %d text areas, want 200 with 24", code, strings.Count(body, "<textarea"))
	}
	tok := b.csrf(page)
	long := strings.Repeat("x", 20001)
	code, body, _ = b.post(page, url.Values{"_csrf": {tok}, "fr.rights": {"Texte **gardé**"}, "en.rights": {long}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="e-en-rights"`) || !strings.Contains(body, "Texte **gardé**") {
		t.Fatalf("too long: got %d, want 422 with the error beside the English text and the input kept", code)
	}
	code, _, h := b.post(page, url.Values{"_csrf": {tok}, "fr.rights": {"Écrivez-nous **en tout temps**."}, "en.rights": {"Write to us **any time**."}})
	if code != http.StatusSeeOther || h.Get("Location") != page+"?saved=1" {
		t.Fatalf("save: got %d to %q", code, h.Get("Location"))
	}
	if _, body = b.get("/admin/o/demo/policy?doc=en"); !strings.Contains(body, "Write to us <strong>any time</strong>.") {
		t.Error("the English preview lacks the officer's paragraph")
	}
	// The form shows the stored texts again.
	if _, body = b.get(page); !strings.Contains(body, "Écrivez-nous **en tout temps**.") {
		t.Error("the saved paragraph is not shown again")
	}
}
