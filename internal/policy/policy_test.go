package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// demoOptions are the options of the golden demo policies: a published
// version (the demo inventory has one officer's paragraph).
func demoOptions() Options {
	return Options{
		Org:         "demo",
		BaseURL:     "https://privacy.example.org",
		Version:     3,
		EffectiveAt: time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC),
	}
}

// edge loads testdata/edge.yaml, which must be a valid inventory.
func edge(t testing.TB) *inventory.Document {
	t.Helper()
	data, err := os.ReadFile("testdata/edge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := inventory.Parse(data, inventory.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	if errs := d.Validate(); len(errs) > 0 {
		t.Fatalf("testdata/edge.yaml is invalid: %v", errs)
	}
	return d
}

// render renders doc in lang as HTML and Markdown.
func render(t testing.TB, doc *inventory.Document, lang string, o Options) (html, md string) {
	t.Helper()
	p, err := Render(doc, lang, o)
	if err != nil {
		t.Fatal(err)
	}
	var h, m bytes.Buffer
	if err := p.HTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := p.Markdown(&m); err != nil {
		t.Fatal(err)
	}
	return h.String(), m.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("%s differs at line %d (run go test -update if intended):\n got  %s\n want %s", path, i+1, g[i], w[i])
			}
		}
		t.Fatalf("%s: got %d lines, want %d (run go test -update if intended)", path, len(g), len(w))
	}
}

// TestGolden pins the generated policies: the demo organization and the
// edge case, in both languages and both formats.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  func(testing.TB) *inventory.Document
		opts Options
	}{
		{"demo", func(testing.TB) *inventory.Document { return inventory.Demo() }, demoOptions()},
		{"edge", edge, Options{Org: "edge"}},
	} {
		for _, lang := range inventory.Languages {
			t.Run(tc.name+"."+lang, func(t *testing.T) {
				html, md := render(t, tc.doc(t), lang, tc.opts)
				golden(t, tc.name+"."+lang+".html.golden", html)
				golden(t, tc.name+"."+lang+".md.golden", md)
			})
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := render(t, inventory.Demo(), "fr", demoOptions())
	b, _ := render(t, inventory.Demo(), "fr", demoOptions())
	if a != b {
		t.Error("two renders of the same inventory differ")
	}
}

func TestJSON(t *testing.T) {
	p, err := Render(inventory.Demo(), "en", demoOptions())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.JSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Sections) != len(SectionIDs) || back.Summary.Caption != "At a glance" || back.EffectiveAt == nil {
		t.Errorf("JSON round trip: got %d sections, summary %q, effective %v", len(back.Sections), back.Summary.Caption, back.EffectiveAt)
	}
	for i, s := range back.Sections {
		if s.ID != SectionIDs[i] {
			t.Errorf("section %d: got ID %q, want %q", i, s.ID, SectionIDs[i])
		}
	}
}

func TestRenderErrors(t *testing.T) {
	_, err := Render(inventory.Demo(), "de", Options{})
	var pe *privaq.Error
	if !privaq.IsCode(err, privaq.EValidation) || !errors.As(err, &pe) || pe.Field != "lang" {
		t.Errorf("Render(de): got %v, want a validation error on lang", err)
	}
}

// TestParagraphsValidated checks that the inventory refuses an officer's
// paragraph for an unknown section, twice the same section, or too long.
func TestParagraphsValidated(t *testing.T) {
	for _, tc := range []struct {
		p     []inventory.Paragraph
		field string
	}{
		{[]inventory.Paragraph{{Section: "nowhere", Text: inventory.Text{FR: "x"}}}, "policy.paragraphs[0].section"},
		{[]inventory.Paragraph{{Section: SecContact, Text: inventory.Text{FR: "x"}}, {Section: SecContact, Text: inventory.Text{FR: "y"}}}, "policy.paragraphs[1].section"},
		{[]inventory.Paragraph{{Section: SecContact, Text: inventory.Text{FR: strings.Repeat("x", inventory.MaxParagraphLen+1)}}}, "policy.paragraphs[0].text.fr"},
		{[]inventory.Paragraph{{Section: SecContact, Text: inventory.Text{EN: "only English"}}}, "policy.paragraphs[0].text.fr"},
	} {
		d := inventory.Demo()
		d.Policy.Paragraphs = tc.p
		errs := d.Validate()
		if !slices.ContainsFunc(errs, func(e *privaq.Error) bool { return e.Field == tc.field }) {
			t.Errorf("%v: got %v, want an error on %s", tc.p, errs, tc.field)
		}
	}
}

// TestSectionIDs keeps the section constants in the order of the list
// the inventory validates paragraphs against.
func TestSectionIDs(t *testing.T) {
	want := []string{SecWho, SecCollect, SecPurposes, SecHow, SecSharing, SecRetention,
		SecSecurity, SecRights, SecIncidents, SecMinors, SecChanges, SecContact}
	if !slices.Equal(SectionIDs, want) {
		t.Errorf("SectionIDs = %v, want %v", SectionIDs, want)
	}
}

// TestExtraSanitized checks that the officer's Markdown cannot bring a
// script, a javascript: link or a second h1 into the page.
func TestExtraSanitized(t *testing.T) {
	d := inventory.Demo()
	d.Policy.Paragraphs = []inventory.Paragraph{{Section: SecContact, Text: inventory.Text{
		FR: "Nos bureaux sont ouverts du **lundi au vendredi**, de 9 h à 17 h.\n\n<script>alert(1)</script>\n\n# Accès\n\n[Plan d'accès](javascript:alert(1))"}}}
	html, md := render(t, d, "fr", demoOptions())
	for _, bad := range []string{"<script", "javascript:", "<h1>Accès"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	if !strings.Contains(html, "<strong>lundi au vendredi</strong>") || !strings.Contains(html, "<h3>Accès</h3>") {
		t.Error("HTML lost the officer's formatting")
	}
	if strings.Contains(md, "<script") || !strings.Contains(md, "\n### Accès\n") {
		t.Error("Markdown keeps raw HTML or an un-demoted heading")
	}
}
