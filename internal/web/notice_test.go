package web_test

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

func TestActivityNotice(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *testSite) {
		b := s.browser(t)
		b.login("auditor@demo.test")
		item := "/admin/o/demo/inventory/activities/camp-registration"
		page := item + "/notice"

		// The activity's page links to its notice; other collections' pages do not.
		if _, body := b.get(item); !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "Avis de collecte") {
			t.Errorf("activity page: want a link to %s", page)
		}
		if _, body := b.get("/admin/o/demo/inventory/purposes/day-camps"); strings.Contains(body, "/notice") {
			t.Errorf("purpose page: got a link to a notice, want none")
		}

		for lang, want := range map[string][]string{
			"fr": {"Avis de collecte", "Aperçu en français", "Code HTML à copier dans votre page (anglais)"},
			"en": {"Collection notice", "Preview in English", "HTML code to copy into your page (French)"},
		} {
			code, body := b.get(page + "?lang=" + lang)
			if code != http.StatusOK {
				t.Fatalf("notice page (%s): got %d, want 200", lang, code)
			}
			if m := missingKeyRE.FindString(body); m != "" {
				t.Errorf("notice page (%s): missing catalog key %s", lang, m)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("notice page (%s): lacks %q", lang, w)
				}
			}
			// Both previews, rendered, and both snippets, escaped in read-only
			// text areas with their labels.
			for _, l := range []string{"fr", "en"} {
				section := `<section class="privaq-notice" lang="` + l + `"`
				if !strings.Contains(body, section) {
					t.Errorf("notice page (%s): no %s preview", lang, l)
				}
				if !strings.Contains(body, `<label for="snippet-`+l+`">`) || !strings.Contains(body, `<textarea id="snippet-`+l+`" rows="12" readonly`) {
					t.Errorf("notice page (%s): no labelled read-only snippet for %s", lang, l)
				}
				if !strings.Contains(body, html.EscapeString(section)) {
					t.Errorf("notice page (%s): the %s snippet is not escaped in its text area", lang, l)
				}
			}
			for _, w := range []string{"Santé et allergies des enfants", "Children’s health and allergies"} {
				if !strings.Contains(body, w) {
					t.Errorf("notice page (%s): lacks %q", lang, w)
				}
			}
		}

		if code, _ := b.get("/admin/o/demo/inventory/activities/no-such-activity/notice"); code != http.StatusNotFound {
			t.Errorf("unknown activity: got %d, want 404", code)
		}
		if code, _ := b.get("/admin/o/other/inventory/activities/camp-registration/notice"); code != http.StatusNotFound {
			t.Errorf("another organization: got %d, want 404", code)
		}
		if code, _ := s.browser(t).get(page); code != http.StatusSeeOther {
			t.Errorf("signed out: got %d, want a redirect to the sign-in page", code)
		}
	})
}
