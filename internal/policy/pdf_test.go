package policy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"privaq/internal/inventory"
)

// renderPDF renders doc in lang and writes it as PDF.
func renderPDF(t testing.TB, doc *inventory.Document, lang string, o Options) (*Policy, []byte) {
	t.Helper()
	p, err := Render(doc, lang, o)
	if err != nil {
		t.Fatal(err)
	}
	return p, writePDF(t, p)
}

func writePDF(t testing.TB, p *Policy) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.PDF(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output starts with %q, want %%PDF-", buf.Bytes()[:min(buf.Len(), 8)])
	}
	return buf.Bytes()
}

// pdfFooterRE finds the footer line of a page in pdftotext's output.
var pdfFooterRE = regexp.MustCompile(`(?m)^.*Page \d+ (?:sur|of) \d+[ \t]*$`)

// pdfText extracts the text of a PDF with pdftotext -layout. It returns
// the output as is, the text without its footers and with every run of
// white space made one space, and the page count. pdftotext writes both
// no-break spaces as plain spaces, so text compared with it goes through
// pdfFlat too.
func pdfText(t *testing.T, pdf []byte) (raw, text string, pages int) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("REQUIRE_BROWSER") == "1" { // CI installs poppler-utils with the browser
			t.Fatalf("pdftotext is required (REQUIRE_BROWSER=1); install poppler-utils: %v", err)
		}
		t.Skipf("pdftotext is missing, skipping (install poppler-utils; set REQUIRE_BROWSER=1 to fail instead): %v", err)
	}
	path := filepath.Join(t.TempDir(), "policy.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	raw = string(out)
	return raw, pdfFlat(pdfFooterRE.ReplaceAllString(raw, "")), strings.Count(strings.TrimRight(raw, "\f\n"), "\f") + 1
}

func pdfFlat(s string) string { return strings.Join(strings.Fields(s), " ") }

// pdfExpected lists texts of p that must come out of the PDF whole: title,
// status, headings, captions, paragraphs and list items. Table cells are
// left out: pdftotext -layout interleaves the lines of side-by-side cells.
func pdfExpected(p *Policy) []string {
	sep := catalogs[p.Lang].raw("word.sep", nil)
	want := []string{p.Title, p.Status, p.Summary.Caption, p.Contents, p.OrgName}
	for _, s := range p.Sections {
		want = append(want, s.Heading)
		for _, b := range s.Blocks {
			switch b.Kind {
			case KindParagraph, KindHeading:
				want = append(want, b.Text)
			case KindTable:
				want = append(want, b.Table.Caption)
			case KindList:
				for _, it := range b.Items {
					if it.Term != "" {
						want = append(want, it.Term+sep+it.Text)
					} else {
						want = append(want, it.Text)
					}
				}
			}
		}
	}
	return want
}

// TestPDF renders the demo policy and checks, through pdftotext, that its
// text comes out exact: accents, guillemets, apostrophes, dashes.
func TestPDF(t *testing.T) {
	for _, tc := range []struct {
		lang, foot string
		want       []string
	}{
		{"fr", "Page %d sur %d", []string{
			"Dans ce texte, « nous » désigne Entraide Jeunesse Rive-Sud.",
			"Politique de confidentialité — Entraide Jeunesse Rive-Sud",
			"Les renseignements que nous recueillons",
			"Nos bureaux sont ouverts du lundi au vendredi, de 9 h à 17 h.",
		}},
		{"en", "Page %d of %d", []string{"Privacy policy — Entraide Jeunesse Rive-Sud"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			p, pdf := renderPDF(t, inventory.Demo(), tc.lang, demoOptions())
			raw, text, pages := pdfText(t, pdf)
			if pages < 2 {
				t.Fatalf("got %d page, want more than 1", pages)
			}
			for _, w := range append(tc.want, pdfExpected(p)...) {
				if !strings.Contains(text, pdfFlat(w)) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			for _, n := range []int{1, pages} {
				if w := fmt.Sprintf(tc.foot, n, pages); !strings.Contains(raw, w) {
					t.Errorf("PDF text lacks the footer %q", w)
				}
			}
			// pdftotext writes a no-break space as a space, so the mapping
			// of its glyph back to U+00A0 is read in the ToUnicode CMap,
			// which gopdf leaves uncompressed.
			if tc.lang == "fr" && !bytes.Contains(pdf, []byte("><00A0>\n")) {
				t.Error("no glyph of the PDF maps to U+00A0")
			}
			for _, bad := range []string{"<script", "alert(1)", "**", "&lt;"} {
				if strings.Contains(text, bad) {
					t.Errorf("PDF text contains %q", bad)
				}
			}
		})
	}
}

// TestPDFEdge renders the edge inventory, a draft with few entries.
func TestPDFEdge(t *testing.T) {
	for _, lang := range inventory.Languages {
		t.Run(lang, func(t *testing.T) {
			p, pdf := renderPDF(t, edge(t), lang, Options{Org: "edge"})
			_, text, _ := pdfText(t, pdf)
			for _, w := range pdfExpected(p) {
				if !strings.Contains(text, pdfFlat(w)) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
		})
	}
}

// TestPDFOddPolicy draws what Render never writes but a Policy can hold:
// no sections, empty sections, blocks and tables, a word wider than the
// page and a table row taller than one.
func TestPDFOddPolicy(t *testing.T) {
	long := strings.Repeat("x", 400)
	tall := strings.Repeat("Une cellule très longue, qui déborde d’une page. ", 300)
	var rows [][]string
	for i := range 80 {
		rows = append(rows, []string{fmt.Sprintf("Ligne %d", i), "court", "https://example.org/" + long})
	}
	for _, tc := range []struct {
		name  string
		p     Policy
		want  []string
		pages int
	}{
		{"empty", Policy{}, nil, 1},
		{"sections", Policy{Lang: "fr", Title: "Titre", Sections: []Section{
			{ID: "vide"},
			{ID: "blocs", Heading: "Blocs vides", Blocks: []Block{
				{Kind: KindParagraph}, {Kind: KindHeading}, {Kind: KindList}, {Kind: KindList, Items: []Item{{}}},
				{Kind: KindTable}, {Kind: KindTable, Table: &Table{}}, {Kind: KindTable, Table: &Table{Caption: "Sans lignes", Head: []string{"A", "B"}}},
				{Kind: KindTable, Table: &Table{Caption: "Sans en-tête", Rows: [][]string{{"a"}, {"b", "c", ""}}}},
				{Kind: KindMarkdown}, {Kind: "inconnu", Text: "invisible"},
				{Kind: KindParagraph, Text: "Espace fine insécable\u202f!"},
			}},
		}}, []string{"Titre", "Blocs vides", "Sans lignes", "Sans en-tête", "Espace fine insécable !"}, 1},
		{"long", Policy{Lang: "en", Title: "Long", Sections: []Section{{ID: "s", Heading: "Long things", Blocks: []Block{
			{Kind: KindParagraph, Text: long},
			{Kind: KindTable, Table: &Table{Caption: "Many rows", Head: []string{"Row", "Short", "Address"}, Rows: rows}},
			{Kind: KindTable, Table: &Table{Caption: "Tall row", Head: []string{"Cell"}, Rows: [][]string{{tall}, {"after"}}}},
		}}}}, []string{"Many rows", "Tall row", "Une cellule très longue, qui déborde d’une page."}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf := writePDF(t, &tc.p)
			_, text, pages := pdfText(t, pdf)
			if pages < tc.pages {
				t.Errorf("got %d pages, want at least %d", pages, tc.pages)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("PDF text lacks %q", w)
				}
			}
			if tc.name == "sections" && !bytes.Contains(pdf, []byte("><202F>\n")) {
				t.Error("no glyph of the PDF maps to U+202F")
			}
			if strings.Contains(text, "invisible") {
				t.Error("a block of unknown kind was drawn")
			}
			if tc.name == "long" {
				// The header row is repeated on each page the tables cross.
				if n := strings.Count(text, "Row Short Address"); n < 2 {
					t.Errorf("header row of the long table drawn %d times, want it repeated", n)
				}
				if n := strings.Count(text, "x"); n < 400*81 {
					t.Errorf("got %d x, want every x of the long words", n)
				}
			}
		})
	}
}

// TestPDFDeterministic checks that renders give the same bytes, also when
// they run at once and share the parsed fonts.
func TestPDFDeterministic(t *testing.T) {
	_, want := renderPDF(t, inventory.Demo(), "fr", demoOptions())
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	for i := range got {
		wg.Go(func() {
			p, err := Render(inventory.Demo(), "fr", demoOptions())
			if err != nil {
				t.Error(err)
				return
			}
			var buf bytes.Buffer
			if err := p.PDF(&buf); err != nil {
				t.Error(err)
			}
			got[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i, g := range got {
		if !bytes.Equal(g, want) {
			t.Errorf("render %d: got %d bytes differing from the first render's %d", i, len(g), len(want))
		}
	}
	if !bytes.Contains(want, []byte("/CreationDate(D:20250601000000+00'00')")) {
		t.Error("the creation date is not the effective date")
	}
}

var pdfASCIISpaces = regexp.MustCompile(`[ \t\n]+`)

func TestExtraParts(t *testing.T) {
	type part struct {
		kind, marker string
		depth        int
		text         string
	}
	for _, tc := range []struct {
		html string
		want []part
	}{
		{"", nil},
		{"<p>Nos bureaux sont ouverts du <strong>lundi</strong>,\nde 9 h à 17 h.</p>\n<h3>Accès</h3>\n<p>Plan d’accès</p>",
			[]part{{KindParagraph, "", 0, "Nos bureaux sont ouverts du *lundi*, de 9 h à 17 h."}, {KindHeading, "", 0, "Accès"}, {KindParagraph, "", 0, "Plan d’accès"}}},
		{"<ul><li>un</li><li><p>deux</p><ol start=\"3\"><li>trois</li></ol></li></ul><p>fin</p>",
			[]part{{KindList, "•", 1, "un"}, {KindList, "•", 1, "deux"}, {KindList, "3.", 2, "trois"}, {KindParagraph, "", 0, "fin"}}},
		{`<p><a href="https://example.org" rel="nofollow">site</a> <a href="/o/x">ici</a><br>suite</p>`,
			[]part{{KindParagraph, "", 0, "[site→https://example.org] ici|suite"}}},
		{"<pre><code>a  b\nc</code></pre>", []part{{KindParagraph, "", 0, "a\u00a0\u00a0b|c"}}},
		{"<ul><li></li></ul><p>after</p>", []part{{KindParagraph, "", 0, "after"}}},
	} {
		var got []part
		for _, pt := range extraParts(tc.html) {
			var b strings.Builder
			for _, r := range pt.runs {
				switch {
				case r.Break:
					b.WriteString("|")
				case r.Bold:
					b.WriteString("*" + r.Text + "*")
				case r.Href != "":
					b.WriteString("[" + r.Text + "→" + r.Href + "]")
				default:
					b.WriteString(r.Text)
				}
			}
			got = append(got, part{pt.kind, pt.marker, pt.depth, strings.TrimSpace(pdfASCIISpaces.ReplaceAllString(b.String(), " "))})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("extraParts(%q):\n got  %+v\n want %+v", tc.html, got, tc.want)
		}
	}
}
