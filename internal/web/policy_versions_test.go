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
