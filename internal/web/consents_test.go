package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// paperConsent is a parent's consent on paper for a child at day camp, as
// a staff member types it.
func paperConsent(tok string) url.Values {
	return url.Values{"_csrf": {tok}, "subject": {"dossier-0042"}, "subject_category": {"children"}, "purpose": {"day-camps"},
		"decision": {"granted"}, "mode": {"express"}, "channel": {"paper"}, "given_by": {"parental_authority"},
		"representative": {"Marie-Ève Tremblay"}, "expires_on": {time.Now().AddDate(1, 0, 0).Format(time.DateOnly)},
		"note": {"Signé à l’accueil, « copie » classée."}, "form_ref": {"F-2026-017"}}
}

func TestConsentRecordForm(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("staff@demo.test")
		_, dash := b.get("/admin/o/demo/")
		if !strings.Contains(dash, "Aucun consentement enregistré au cours des 12") || strings.Contains(dash, "<svg") {
			t.Errorf("dashboard without records: want the empty state and no chart")
		}
		code, form := b.get("/admin/o/demo/consents/new")
		if code != http.StatusOK || !strings.Contains(form, `value="children"`) || !strings.Contains(form, `value="day-camps"`) {
			t.Fatalf("form: got %d, want 200 listing the inventory's categories and purposes", code)
		}
		tok := csrfRE.FindStringSubmatch(form)[1]

		// A child's consent given as if by the child: refused beside the
		// field, in French, with everything typed kept.
		bad := paperConsent(tok)
		bad.Set("given_by", "subject")
		bad.Del("representative")
		code, body, _ := b.post("/admin/o/demo/consents/new", bad)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("minor without parental authority: got %d, want 422", code)
		}
		if !regexp.MustCompile(`id="e-given_by">[^<]*moins de 14`).MatchString(body) {
			t.Errorf("no French error beside given_by")
		}
		for _, want := range []string{`value="dossier-0042"`, `value="children" selected`, `value="paper" selected`, `value="granted" checked`,
			`value="subject" checked`, `value="F-2026-017"`, "Signé à l’accueil, « copie » classée.", `href="#f-given_by"`, `role="alert"`} {
			if !strings.Contains(body, want) {
				t.Errorf("rejected form lacks %s", want)
			}
		}
		_, body, _ = b.post("/admin/o/demo/consents/new?lang=en", bad)
		if !regexp.MustCompile(`id="e-given_by">[^<]*children under 14`).MatchString(body) {
			t.Errorf("no English error beside given_by")
		}
		// Nothing was recorded.
		_, hist := b.get("/admin/o/demo/consents/subject?lang=fr&s=dossier-0042")
		if !strings.Contains(hist, "Aucun consentement n’est enregistré") {
			t.Errorf("a refused form left a record")
		}

		// Several errors at once, each beside its field.
		code, body, _ = b.post("/admin/o/demo/consents/new", url.Values{"_csrf": {tok}, "subject": {""}, "given_by": {"representative"}, "expires_on": {"2001-01-01"}})
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("empty form: got %d, want 422", code)
		}
		for _, f := range []string{"subject", "purpose", "decision", "channel", "representative", "expires_on"} {
			if !strings.Contains(body, `id="e-`+f+`"`) {
				t.Errorf("empty form: no error beside %s", f)
			}
		}

		code, _, h := b.post("/admin/o/demo/consents/new", paperConsent(tok))
		loc := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/o/demo/consents/subject?") {
			t.Fatalf("valid consent: got %d to %q, want 303 to the person's history", code, loc)
		}
		if u, _ := url.Parse(loc); u.Query().Get("s") != "dossier-0042" || u.Query().Get("recorded") != "1" || len(u.Query().Get("hash")) != 16 {
			t.Errorf("redirect %q: want the subject, the record's number and a hash prefix", loc)
		}
		code, hist = b.get(loc)
		if code != http.StatusOK {
			t.Fatalf("history: got %d", code)
		}
		for _, want := range []string{`role="status">Consentement inscrit au registre`, "n°\u00a01", "Marie-Ève Tremblay", "Inscription et encadrement des camps de jour",
			"Le titulaire de l’autorité parentale", "Formulaire papier", "&#34;form_ref&#34;: &#34;F-2026-017&#34;", "&#34;entered_by_user&#34;:", "Catégorie\u00a0: Enfants de moins de 14",
			`class="state state-granted">Accordé`} {
			if !strings.Contains(hist, want) {
				t.Errorf("history lacks %s", want)
			}
		}
		// A flash cannot be forged with words.
		if _, forged := b.get("/admin/o/demo/consents/subject?s=dossier-0042&recorded=1&hash=" + url.QueryEscape("Appelez le 555")); strings.Contains(forged, "Appelez") {
			t.Errorf("the flash echoes arbitrary text")
		}

		_, dash = b.get("/admin/o/demo/")
		for _, want := range []string{`role="img" aria-labelledby="consent-chart-title" aria-describedby="consent-chart-desc"`, `<title id="consent-chart-title">`,
			`<desc id="consent-chart-desc">`, `<details class="chart-data">`, "Inscription et encadrement des camps de jour", "100\u00a0% (1 sur 1)", `class="series c0 d0"`} {
			if !strings.Contains(dash, want) {
				t.Errorf("dashboard chart lacks %s", want)
			}
		}

		// Every consent page, in both languages, has all its texts.
		for _, lang := range []string{"fr", "en"} {
			for _, p := range []string{"/admin/o/demo/", "/admin/o/demo/consents", "/admin/o/demo/consents/new", "/admin/o/demo/consents/subject?s=dossier-0042"} {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				code, body := b.get(p + sep + "lang=" + lang)
				if code != http.StatusOK {
					t.Errorf("%s (%s): got %d, want 200", p, lang, code)
				}
				if m := missingKeyRE.FindString(body); m != "" {
					t.Errorf("%s (%s): missing catalog key %s", p, lang, m)
				}
			}
		}
	})
}

func TestConsentPagesRoles(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		staff := s.browser(t)
		staff.login("staff@demo.test")
		tok := staff.csrf("/admin/o/demo/consents/new")
		if code, _, _ := staff.post("/admin/o/demo/consents/new", paperConsent(tok)); code != http.StatusSeeOther {
			t.Fatalf("staff records: got %d, want 303", code)
		}

		aud := s.browser(t)
		aud.login("auditor@demo.test")
		code, page := aud.get("/admin/o/demo/consents")
		if code != http.StatusOK || strings.Contains(page, "/consents/new") {
			t.Errorf("auditor's search page: got %d, want 200 without a link to the form", code)
		}
		code, page = aud.get("/admin/o/demo/consents/subject?s=dossier-0042")
		if code != http.StatusOK || !strings.Contains(page, "Marie-Ève Tremblay") || strings.Contains(page, "/consents/new") {
			t.Errorf("auditor's history: got %d, want 200 with the record and no form link", code)
		}
		if code, _ := aud.get("/admin/o/demo/consents/new"); code != http.StatusForbidden {
			t.Errorf("auditor opens the form: got %d, want 403", code)
		}
		atok := aud.csrf("/admin/o/demo/")
		if code, _, _ := aud.post("/admin/o/demo/consents/new", paperConsent(atok)); code != http.StatusForbidden {
			t.Errorf("auditor records: got %d, want 403", code)
		}

		// The history is a read of personal information: audited, without
		// the reference itself.
		off := s.browser(t)
		off.login("officer@demo.test")
		_, log := off.get("/admin/o/demo/audit")
		if !strings.Contains(log, "consent.history") || strings.Contains(log, "dossier-0042") {
			t.Errorf("audit log: want consent.history without the subject reference")
		}

		// No token, or a cross-site post: nothing recorded.
		if code, _, _ := staff.post("/admin/o/demo/consents/new", url.Values{"subject": {"x"}}); code != http.StatusForbidden {
			t.Errorf("no CSRF token: got %d, want 403", code)
		}
		req, _ := http.NewRequest("POST", staff.base+"/admin/o/demo/consents/new", strings.NewReader(paperConsent(tok).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if code, _, _ := staff.do(req); code != http.StatusForbidden {
			t.Errorf("cross-site with a valid token: got %d, want 403", code)
		}
		_, hist := staff.get("/admin/o/demo/consents/subject?s=dossier-0042")
		if n := strings.Count(hist, "Marie-Ève Tremblay"); n != 1 {
			t.Errorf("records after refused posts: got %d, want 1", n)
		}

		// Search: a reference is required; another tenant sees nothing.
		if code, page := staff.get("/admin/o/demo/consents/subject?s="); code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="e-s"`) {
			t.Errorf("empty search: got %d, want 422 with the error beside the field", code)
		}
		if code, page := staff.get("/admin/o/demo/consents/subject?lang=en"); code != http.StatusOK || strings.Contains(page, `id="e-s"`) {
			t.Errorf("no search (the language switch drops the query): got %d, want the search page without an error", code)
		}
		out := s.browser(t)
		out.login("outsider@other.test")
		for _, p := range []string{"/admin/o/demo/consents", "/admin/o/demo/consents/subject?s=dossier-0042", "/admin/o/demo/consents/new"} {
			if code, body := out.get(p); code != http.StatusNotFound || strings.Contains(body, "Tremblay") {
				t.Errorf("%s from another organization: got %d, want 404", p, code)
			}
		}
	})
}
