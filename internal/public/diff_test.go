package public_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// newVersion replaces the inventory of o with doc, then drafts and
// publishes a version from it, in effect when it returns.
func (s *site) newVersion(t *testing.T, o privaq.OrgID, doc *inventory.Document) policy.Version {
	t.Helper()
	actor := privaq.System(o)
	if _, err := s.inv.Replace(ctx, actor, o, doc); err != nil {
		t.Fatal(err)
	}
	v, err := s.pol.CreateDraft(ctx, actor, o)
	if err != nil {
		t.Fatal(err)
	}
	// Editorial, to take effect now; a significant change cannot be, so
	// it takes effect after its notice period, which the clock then skips.
	pub := policy.Publication{Editorial: true, Reason: "test"}
	if v.Significant {
		pub = policy.Publication{EffectiveAt: s.clock.Now().AddDate(0, 0, 60)}
	}
	if v, err = s.pol.Publish(ctx, actor, policy.Org{ID: o}, v.Number, pub); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(61 * 24 * time.Hour)
	return v
}

// changedDemo is the demo with a new purpose and one cookie fewer.
func changedDemo() *inventory.Document {
	d := inventory.Demo()
	d.Purposes = append(d.Purposes, inventory.Purpose{Key: "events", Consent: inventory.ConsentExpress,
		Name:        inventory.Text{FR: "Billetterie des événements", EN: "Event ticketing"},
		Description: inventory.Text{FR: "Vendre les billets de nos soirées-bénéfice.", EN: "Sell tickets to our benefit evenings."}})
	for i := range d.Activities {
		if d.Activities[i].Key == "donor-follow-up" {
			d.Activities[i].Purposes = append(d.Activities[i].Purposes, "events")
		}
	}
	d.Cookies = slices.DeleteFunc(d.Cookies, func(c inventory.Cookie) bool { return c.Key == "language" })
	return d
}

func TestDiffPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		alpha := s.org.ID
		s.newVersion(t, alpha, inventory.Demo())
		if p := s.get(t, "/o/alpha/privacy/versions", ""); strings.Contains(p.body, "/privacy/diff") {
			t.Error("versions page: got a comparison with a single version, want none")
		}
		s.newVersion(t, alpha, changedDemo())
		if _, err := s.pol.CreateDraft(ctx, privaq.System(alpha), alpha); err != nil { // version 3 stays a draft
			t.Fatal(err)
		}

		// Another organization has versions 1 to 4, all the same.
		orgs := &org.Service{Store: db, Clock: s.clock}
		beta, err := orgs.CreateOrg(ctx, privaq.System(0), "beta", "Beta", inventory.RegimePrivate, "fr")
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			s.newVersion(t, beta.ID, inventory.Demo())
		}

		const path = "/o/alpha/privacy/diff"
		p := s.get(t, path+"?from=1&to=2", "")
		p.want(t, http.StatusOK, `<html lang="fr">`, "<h1>Comparaison des versions 1 et 2</h1>",
			`<span class="tag">Ajouté</span> <ins>Billetterie des événements</ins>`,
			`<span class="tag">Retiré</span> <del>ejrs_lang · `,
			`<ins>Vendre les billets de nos soirées-bénéfice.</ins>`,
			`<section id="who-we-are" class="diff-section same" aria-labelledby="who-we-are-title">`, "Section inchangée",
			`<a href="#purposes">`, "<summary>Passages inchangés", "en vigueur à compter du ",
			`href="/o/alpha/privacy/v/1?lang=fr"`, `href="/o/alpha/privacy/diff?from=1&amp;lang=en&amp;to=2"`)
		checkPage(t, p)
		if strings.Contains(p.body, `<a href="#who-we-are">`) {
			t.Error("an unchanged section is listed among the changed ones")
		}

		en := s.get(t, path+"?from=1&to=2", "en-CA,en;q=0.9")
		en.want(t, http.StatusOK, `<html lang="en">`, "<h1>Comparing versions 1 and 2</h1>",
			`<span class="tag">Added</span> <ins>Event ticketing</ins>`, `<span class="tag">Removed</span> <del>ejrs_lang · `,
			"Section unchanged", `href="/o/alpha/privacy/diff?from=1&amp;lang=fr&amp;to=2"`)
		checkPage(t, en)
		s.get(t, path+"?from=1&to=2&lang=en", "fr").want(t, http.StatusOK, `<html lang="en">`, "<ins>Event ticketing</ins>")

		// From the newer to the older, the purpose is removed.
		s.get(t, path+"?from=2&to=1", "").want(t, http.StatusOK, "<del>Billetterie des événements</del>", "<ins>ejrs_lang · ")

		// The versions page links each version to the one before it and
		// has a form to pick two.
		v := s.get(t, "/o/alpha/privacy/versions", "")
		v.want(t, http.StatusOK, `href="/o/alpha/privacy/diff?from=1&amp;to=2&amp;lang=fr">Comparer avec la version 1</a>`,
			`<form class="compare" method="get" action="/o/alpha/privacy/diff"`, `<label for="compare-from">`,
			`<select id="compare-from" name="from">`, `<label for="compare-to">`, `<select id="compare-to" name="to">`,
			`<input type="hidden" name="lang" value="fr">`, `<option value="1" selected>`, `<option value="2" selected>`)
		checkPage(t, v)
		if strings.Contains(v.body, "Comparer avec la version 0") || strings.Contains(v.body, "version 3") {
			t.Error("versions page: got a comparison with a missing or draft version")
		}
		s.get(t, "/o/alpha/privacy/versions?lang=en", "").want(t, http.StatusOK, "Compare with version 1", "Compare two versions")

		for _, tc := range []struct {
			query, accept string
			status        int
			want          string
		}{
			{"", "", http.StatusBadRequest, "Choisissez les deux versions à comparer."},
			{"?to=2", "", http.StatusBadRequest, "Choisissez les deux versions à comparer."},
			{"?from=1", "en", http.StatusBadRequest, "Choose the two versions to compare."},
			{"?from=abc&to=2", "", http.StatusBadRequest, "abc\u00a0» n’est pas un numéro de version."},
			{"?from=1&to=2.5", "en", http.StatusBadRequest, "“2.5” is not a version number."},
			{"?from=0&to=2", "", http.StatusBadRequest, "0\u00a0» n’est pas un numéro de version."},
			{"?from=-1&to=2", "", http.StatusBadRequest, "n’est pas un numéro de version."},
			{"?from=99999999999999999999&to=2", "", http.StatusBadRequest, "n’est pas un numéro de version."},
			{"?from=2&to=2", "", http.StatusBadRequest, "Choisissez deux versions différentes."},
			{"?from=2&to=2&lang=en", "", http.StatusBadRequest, "Choose two different versions."},
			{"?from=1&to=9", "", http.StatusNotFound, "La version 9 n’existe pas ou n’a pas été publiée."},
			{"?from=3&to=2", "", http.StatusNotFound, "La version 3 n’existe pas"},
			{"?from=1&to=3", "en", http.StatusNotFound, "Version 3 does not exist or has not been published."},
			{"?from=2&to=4", "", http.StatusNotFound, "La version 4 n’existe pas"}, // beta's version 4
		} {
			p := s.get(t, path+tc.query, tc.accept)
			p.want(t, tc.status, tc.want, `href="/o/alpha/privacy/versions?lang=`)
			checkPage(t, p)
			if strings.Contains(p.body, "<ins>") || strings.Contains(p.body, "<del>") {
				t.Errorf("%s: got a comparison on an error page", tc.query)
			}
		}
		s.get(t, "/o/nobody/privacy/diff?from=1&to=2", "").want(t, http.StatusNotFound)

		// Beta's versions are its own: the same text, unlike Alpha's.
		b := s.get(t, "/o/beta/privacy/diff?from=1&to=4", "")
		b.want(t, http.StatusOK, "Ces deux versions ont exactement le même texte.")
		if strings.Contains(b.body, "Billetterie") || strings.Contains(b.body, "<ins>") {
			t.Error("beta's comparison shows alpha's changes")
		}
	})
}

// checkPage checks what every diff and versions page must be: no inline
// script or style, every text in the catalog, and headings in order.
func checkPage(t *testing.T, p page) {
	t.Helper()
	if loc := inlineCode.FindStringIndex(p.body); loc != nil {
		t.Errorf("inline script or style: %q", p.body[loc[0]:min(loc[1]+40, len(p.body))])
	}
	if i := strings.Index(p.body, "[diff."); i >= 0 {
		t.Errorf("missing catalog key: %q", p.body[i:min(i+40, len(p.body))])
	}
	level := 0
	for _, m := range headingRE.FindAllStringSubmatch(p.body, -1) {
		l := int(m[1][0] - '0')
		if l > level+1 {
			t.Errorf("heading order: got h%d after h%d", l, level)
		}
		level = l
	}
	if strings.Count(p.body, "<h1") != 1 {
		t.Errorf("got %d h1, want 1", strings.Count(p.body, "<h1"))
	}
}

var headingRE = regexp.MustCompile(`<h([1-6])[\s>]`)
