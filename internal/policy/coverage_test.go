package policy

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"privaq/internal/inventory"
)

// mdUnescape undoes the writers' Markdown escapes, so that a name such as
// __stripe_mid can be looked for in the Markdown output.
var mdUnescape = regexp.MustCompile(`\\(.)`)

// TestCoverage walks the demo inventory and checks that every element
// reaches both languages' policy, in HTML and in Markdown: a promise the
// inventory records but the policy does not state is a gap in transparency
// (P 8, A 65).
func TestCoverage(t *testing.T) {
	d := inventory.Demo()
	for _, lang := range inventory.Languages {
		c := catalogs[lang]
		h, md := render(t, d, lang, demoOptions())
		outputs := map[string]string{
			"html":     html.UnescapeString(h),
			"markdown": mdUnescape.ReplaceAllString(md, "$1"),
		}
		var want []string
		add := func(what string, s ...string) {
			for _, x := range s {
				if x != "" {
					want = append(want, what+"\x00"+x)
				}
			}
		}
		for _, p := range d.Purposes {
			add("purpose", c.text(p.Name), c.text(p.Description), c.text(p.Exception))
		}
		for _, x := range d.DataCategories {
			add("data category", c.text(x.Name), c.text(x.Examples))
		}
		for _, x := range d.SubjectCategories {
			add("subject category", c.text(x.Name))
		}
		for _, x := range d.Systems {
			add("system", c.tidy(x.Name), c.tidy(x.Provider), c.place(x.Location), c.text(x.Safeguards))
		}
		for _, x := range d.Recipients {
			add("recipient", c.tidy(x.Name), c.text(x.Purpose), c.place(x.Location))
		}
		for _, x := range d.RetentionRules {
			add("retention rule", c.text(x.Name), c.duration(x.Period), c.say("trigger."+string(x.Trigger), nil),
				c.say("action."+string(x.Action), nil), c.tidy(x.Reference))
		}
		for _, x := range d.Activities {
			add("activity", c.text(x.Name))
		}
		for _, x := range d.Cookies {
			add("cookie", c.tidy(x.Name), c.tidy(x.Service), c.tidy(x.Provider), c.text(x.Purpose),
				upperFirst(c.duration(x.Duration)))
		}
		for _, x := range d.Measures {
			add("measure", c.text(x.Text))
		}
		o := d.Officer
		add("officer", c.tidy(o.Name), c.tidy(o.Title), o.Email, o.Phone, c.tidy(o.Address))
		add("profile", c.tidy(d.Org.Name), c.tidy(d.Org.LegalName), d.Org.Website, c.tidy(d.Org.Address))
		add("URL", "https://privacy.example.org/o/demo/privacy/versions", "https://privacy.example.org/o/demo/requests/new")
		for format, out := range outputs {
			for _, w := range want {
				what, s, _ := strings.Cut(w, "\x00")
				if !strings.Contains(out, s) {
					t.Errorf("%s %s: %s %q is missing", lang, format, what, s)
				}
			}
		}
	}
}

// TestPhrases spot-checks the phrases whose grammar depends on numbers.
func TestPhrases(t *testing.T) {
	fr, en := catalogs["fr"], catalogs["en"]
	for _, tc := range []struct{ got, want string }{
		{fr.duration("P13M"), "13 mois"},
		{en.duration("P13M"), "13 months"},
		{fr.duration("P1Y6M"), "1 an et 6 mois"},
		{en.duration("P1Y6M"), "1 year and 6 months"},
		{fr.duration("P2Y"), "2 ans"},
		{en.duration("P1D"), "1 day"},
		{fr.duration(inventory.Session), "la durée de la session"},
		{fr.join([]string{"A", "B", "C"}, fr.and), "A, B et C"},
		{en.join([]string{"A", "B", "C"}, en.and), "A, B and C"},
		{fr.quoteList([]string{"Identité et coordonnées", "Âge"}), "«\u00a0Identité et coordonnées\u00a0» et «\u00a0Âge\u00a0»"},
		{fr.place("US"), "États-Unis"},
		{en.place("IE"), "Ireland"},
		{fr.place("CA-ON"), "Ontario"},
		{fr.place("CA-QC"), "Québec"},
		{en.place("CA-BC"), "British Columbia"},
		{fr.tidy("Note: voir l'annexe ; merci!"), "Note\u00a0: voir l’annexe\u00a0; merci\u00a0!"},
		{fr.tidy("https://example.org/a?b=1 à 9:30"), "https://example.org/a?b=1 à 9:30"},
		{dot("Exemple inc."), "Exemple inc."},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
