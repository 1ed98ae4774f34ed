package policy

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"privaq/internal/inventory"
)

// modifiedDemo is the demo inventory with one new purpose, served by a
// new recipient outside Quebec, a longer retention period for web
// statistics, and one cookie fewer.
func modifiedDemo(t testing.TB) *inventory.Document {
	t.Helper()
	d := inventory.Demo()
	d.Purposes = append(d.Purposes, inventory.Purpose{Key: "events", Consent: inventory.ConsentExpress,
		Name:        inventory.Text{FR: "Billetterie des événements", EN: "Event ticketing"},
		Description: inventory.Text{FR: "Vendre les billets de nos soirées-bénéfice.", EN: "Sell tickets to our benefit evenings."}})
	d.Recipients = append(d.Recipients, inventory.Recipient{Key: "eventbrite", Name: "Eventbrite Inc.", Role: inventory.RoleProcessor,
		Location: "US", Contract: true, PIA: true, Purpose: inventory.Text{FR: "Vente des billets.", EN: "Ticket sales."}})
	found := 0
	for i := range d.Activities {
		if a := &d.Activities[i]; a.Key == "donor-follow-up" {
			a.Purposes = append(a.Purposes, "events")
			a.Recipients = append(a.Recipients, "eventbrite")
			found++
		}
	}
	for i := range d.RetentionRules {
		if r := &d.RetentionRules[i]; r.Key == "web-statistics" {
			r.Period = "P26M"
			found++
		}
	}
	n := len(d.Cookies)
	d.Cookies = slices.DeleteFunc(d.Cookies, func(c inventory.Cookie) bool { return c.Key == "language" })
	found += n - len(d.Cookies)
	if found != 3 {
		t.Fatalf("the demo changed: got %d of the 3 items the test modifies", found)
	}
	if errs := d.Validate(); len(errs) > 0 {
		t.Fatalf("the modified demo is invalid: %v", errs)
	}
	return d
}

func renderVersion(t testing.TB, d *inventory.Document, lang string, n int) *Policy {
	t.Helper()
	p, err := Render(d, lang, Options{Org: "demo", BaseURL: "https://privacy.example.org", Version: n})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// change is one expected added or removed unit: its section, and words
// that only it has among the changes.
type change struct {
	section string
	op      Op
	words   string
}

func TestDiffDemo(t *testing.T) {
	want := map[string][]change{
		"fr": {
			{summaryID, OpRemoved, "et « Publicité sur les réseaux sociaux »."},
			{summaryID, OpRemoved, "Consentement exprès : 6 fins"},
			{summaryID, OpAdded, "et « Billetterie des événements »."},
			{summaryID, OpAdded, "Consentement exprès : 7 fins"},
			{summaryID, OpRemoved, "à 5 fournisseurs de services"},
			{summaryID, OpAdded, "à 6 fournisseurs de services"},
			{SecPurposes, OpRemoved, "pour les 11 fins"},
			{SecPurposes, OpAdded, "pour les 12 fins"},
			{SecPurposes, OpAdded, "Billetterie des événements"},
			{SecPurposes, OpAdded, "Vendre les billets de nos soirées-bénéfice."},
			{SecPurposes, OpAdded, "Renseignements utilisés"},
			{SecPurposes, OpAdded, "Activité concernée : « Suivi des donateurs »."},
			{SecPurposes, OpAdded, "consentement exprès"},
			{SecPurposes, OpAdded, "Sans ce consentement"},
			{SecHow, OpRemoved, "Suivi des donateurs · Relations avec les donateurs ·"},
			{SecHow, OpAdded, "Relations avec les donateurs, Billetterie des événements"},
			{SecHow, OpRemoved, "ejrs_lang · "},
			{SecSharing, OpAdded, "Eventbrite Inc. · Vente des billets. · États-Unis"},
			{SecSharing, OpRemoved, "États-Unis : Mailchimp"},
			{SecSharing, OpAdded, "Meta Platforms et Eventbrite Inc."},
			{SecRetention, OpRemoved, "Statistiques web · 14 mois"},
			{SecRetention, OpAdded, "Statistiques web · 26 mois"},
		},
		"en": {
			{summaryID, OpRemoved, "“Website audience measurement” and “Social media advertising”."},
			{summaryID, OpRemoved, "Express consent: 6 purposes"},
			{summaryID, OpAdded, "and “Event ticketing”."},
			{summaryID, OpAdded, "Express consent: 7 purposes"},
			{summaryID, OpRemoved, "with 5 service providers"},
			{summaryID, OpAdded, "with 6 service providers"},
			{SecPurposes, OpRemoved, "for the 11 purposes"},
			{SecPurposes, OpAdded, "for the 12 purposes"},
			{SecPurposes, OpAdded, "Event ticketing"},
			{SecPurposes, OpAdded, "Sell tickets to our benefit evenings."},
			{SecPurposes, OpAdded, "Information used"},
			{SecPurposes, OpAdded, "Activity: “Donor follow-up”."},
			{SecPurposes, OpAdded, "express consent"},
			{SecPurposes, OpAdded, "Without this consent"},
			{SecHow, OpRemoved, "Donor follow-up · Donor relations ·"},
			{SecHow, OpAdded, "Donor relations, Event ticketing"},
			{SecHow, OpRemoved, "ejrs_lang · "},
			{SecSharing, OpAdded, "Eventbrite Inc. · Ticket sales. · United States"},
			{SecSharing, OpRemoved, "United States: Mailchimp"},
			{SecSharing, OpAdded, "Meta Platforms and Eventbrite Inc."},
			{SecRetention, OpRemoved, "Web statistics · 14 months"},
			{SecRetention, OpAdded, "Web statistics · 26 months"},
		},
	}
	changed := []string{summaryID, SecPurposes, SecHow, SecSharing, SecRetention}
	nbsp := strings.NewReplacer("\u00a0", " ")
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			from, to := renderVersion(t, inventory.Demo(), lang, 1), renderVersion(t, modifiedDemo(t), lang, 2)
			got := Diff(from, to)
			ids := []string{summaryID}
			for _, s := range got {
				if s.Op != OpEqual {
					t.Errorf("section %s: got op %s, want equal", s.ID, s.Op)
				}
				if s.Changed != slices.Contains(changed, s.ID) {
					t.Errorf("section %s: got changed %v, want %v", s.ID, s.Changed, !s.Changed)
				}
			}
			if ids = append(ids, SectionIDs...); !slices.Equal(sectionIDs(got), ids) {
				t.Fatalf("sections: got %v, want %v", sectionIDs(got), ids)
			}
			checkReadsBack(t, from, to, got)

			var diffs []change
			for _, s := range got {
				for _, u := range s.Units {
					if u.Op != OpEqual {
						diffs = append(diffs, change{s.ID, u.Op, nbsp.Replace(u.Text)})
					}
				}
			}
			for i := range max(len(diffs), len(want[lang])) {
				switch {
				case i >= len(diffs):
					t.Errorf("change %d: got none, want %s %s %q", i, want[lang][i].section, want[lang][i].op, want[lang][i].words)
				case i >= len(want[lang]):
					t.Errorf("change %d: got %s %s %q, want none", i, diffs[i].section, diffs[i].op, diffs[i].words)
				case diffs[i].section != want[lang][i].section || diffs[i].op != want[lang][i].op || !strings.Contains(diffs[i].words, want[lang][i].words):
					t.Errorf("change %d: got %s %s %q, want %s %s with %q", i, diffs[i].section, diffs[i].op, diffs[i].words,
						want[lang][i].section, want[lang][i].op, want[lang][i].words)
				}
			}
			if again := Diff(from, to); !reflect.DeepEqual(again, got) {
				t.Error("two diffs of the same versions differ")
			}
		})
	}
}

func sectionIDs(ds []SectionDiff) []string {
	var out []string
	for _, s := range ds {
		out = append(out, s.ID)
	}
	return out
}

// checkReadsBack checks that the units of a diff give back each version:
// the equal and removed ones the older, the equal and added ones the newer.
func checkReadsBack(t *testing.T, from, to *Policy, ds []SectionDiff) {
	t.Helper()
	texts := func(p *Policy) map[string][]string {
		m := map[string][]string{}
		for _, s := range diffSections(p) {
			for _, u := range s.units {
				m[s.id] = append(m[s.id], string(u.Kind)+" "+u.Text)
			}
		}
		return m
	}
	a, b := texts(from), texts(to)
	for _, s := range ds {
		var older, newer []string
		for _, u := range s.Units {
			if u.Op != OpAdded {
				older = append(older, string(u.Kind)+" "+u.Text)
			}
			if u.Op != OpRemoved {
				newer = append(newer, string(u.Kind)+" "+u.Text)
			}
		}
		if !slices.Equal(older, a[s.ID]) {
			t.Errorf("section %s: the equal and removed units are not the older version", s.ID)
		}
		if !slices.Equal(newer, b[s.ID]) {
			t.Errorf("section %s: the equal and added units are not the newer version", s.ID)
		}
	}
}

func TestDiffIdentical(t *testing.T) {
	for _, lang := range []string{"fr", "en"} {
		for name, doc := range map[string]func() *inventory.Document{"demo": inventory.Demo, "edge": func() *inventory.Document { return edge(t) }} {
			from, to := renderVersion(t, doc(), lang, 1), renderVersion(t, doc(), lang, 2)
			for _, s := range Diff(from, to) {
				if s.Changed || s.Op != OpEqual {
					t.Errorf("%s %s: section %s: got op %s changed %v, want unchanged", name, lang, s.ID, s.Op, s.Changed)
				}
				if len(s.Units) == 0 {
					t.Errorf("%s %s: section %s has no units", name, lang, s.ID)
				}
				for _, u := range s.Units {
					if u.Op != OpEqual || u.Text == "" || strings.Contains(u.Text, "\n") {
						t.Errorf("%s %s: section %s: got %s unit %q, want an equal line", name, lang, s.ID, u.Op, u.Text)
					}
				}
			}
		}
	}
}

// TestDiffSections covers sections only one version has, which privaq's
// own renders do not produce today, and the officer's paragraphs.
func TestDiffSections(t *testing.T) {
	para := func(text string) Block { return Block{Kind: KindParagraph, Text: text} }
	sec := func(id string, blocks ...Block) Section { return Section{ID: id, Heading: "H " + id, Blocks: blocks} }
	from := &Policy{Lang: "fr", Sections: []Section{sec("a", para("Un.")), sec("gone", para("Deux.")), sec("b", para("Trois. Quatre."))}}
	to := &Policy{Lang: "fr", Sections: []Section{sec("new", para("Cinq.")), sec("a", para("Un.")),
		sec("b", para("Trois. Quatre modifié."), Block{Kind: KindMarkdown, HTML: "<p>Nos <strong>bureaux</strong> &amp; salles.\nOuverts le lundi.</p>\n<ul>\n<li>Accès</li>\n</ul>"})}}
	got := Diff(from, to)
	want := []SectionDiff{
		{ID: "new", Heading: "H new", Op: OpAdded, Changed: true, Units: []Unit{{OpAdded, UnitSentence, "Cinq."}}},
		{ID: "a", Heading: "H a", Op: OpEqual, Units: []Unit{{OpEqual, UnitSentence, "Un."}}},
		{ID: "gone", Heading: "H gone", Op: OpRemoved, Changed: true, Units: []Unit{{OpRemoved, UnitSentence, "Deux."}}},
		{ID: "b", Heading: "H b", Op: OpEqual, Changed: true, Units: []Unit{{OpEqual, UnitSentence, "Trois."},
			{OpRemoved, UnitSentence, "Quatre."}, {OpAdded, UnitSentence, "Quatre modifié."},
			{OpAdded, UnitSentence, "Nos bureaux & salles."}, {OpAdded, UnitSentence, "Ouverts le lundi."}, {OpAdded, UnitSentence, "Accès"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := Diff(nil, nil); len(got) != 0 {
		t.Errorf("Diff(nil, nil): got %v, want nothing", got)
	}
	if got := Diff(nil, from); len(got) != 3 || got[0].Op != OpAdded {
		t.Errorf("Diff(nil, p): got %+v, want every section added", got)
	}
}

func TestSentences(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Une phrase.", []string{"Une phrase."}},
		{"Un. Deux ? Trois ! Quatre… Cinq", []string{"Un.", "Deux ?", "Trois !", "Quatre…", "Cinq"}},
		{"Un\u00a0? Deux.", []string{"Un\u00a0?", "Deux."}},
		{"Une demande, p. ex. une inscription. Suite.", []string{"Une demande, p. ex. une inscription.", "Suite."}},
		{"Voir la Loi (RLRQ, c. A-6.002), art. 35. Fin.", []string{"Voir la Loi (RLRQ, c. A-6.002), art. 35.", "Fin."}},
		{"Nous (Entraide inc.) recueillons. M. Tremblay répond.", []string{"Nous (Entraide inc.) recueillons.", "M. Tremblay répond."}},
		{"Écrivez à a@b.example.org. Nous répondons.", []string{"Écrivez à a@b.example.org.", "Nous répondons."}},
		{"Version 3.5 en vigueur. 30 jours plus tard.", []string{"Version 3.5 en vigueur.", "30 jours plus tard."}},
		{"Il dit « oui. » Puis « non. »", []string{"Il dit « oui. » Puis « non. »"}},
		{"He said “yes.” Then “no.”", []string{"He said “yes.”", "Then “no.”"}},
		{"Dr. Smith, e.g. here. Next (see below).", []string{"Dr. Smith, e.g. here.", "Next (see below)."}},
		{"no capital. after", []string{"no capital. after"}},
	} {
		if got := sentences(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("sentences(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSentences checks that cutting a paragraph keeps every character but
// the spaces between sentences.
func FuzzSentences(f *testing.F) {
	for _, s := range []string{"Un. Deux ? Trois", "p. ex. Oui.\u00a0» Non", "…. . .A", "a.\xff B"} {
		f.Add(s)
	}
	noSpace := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sentences(s)
		for _, x := range got {
			if x == "" || x != strings.TrimSpace(x) {
				t.Fatalf("sentences(%q): got the sentence %q", s, x)
			}
		}
		if noSpace(strings.Join(got, "")) != noSpace(s) {
			t.Fatalf("sentences(%q): got %q, which loses text", s, got)
		}
	})
}

// BenchmarkDiff compares the French demo policy with a version that adds a
// purpose and a recipient, changes a retention period and drops a cookie:
// the work of one diff page, without the renders.
func BenchmarkDiff(b *testing.B) {
	from, to := renderVersion(b, inventory.Demo(), "fr", 1), renderVersion(b, modifiedDemo(b), "fr", 2)
	b.ReportAllocs()
	for b.Loop() {
		Diff(from, to)
	}
}
