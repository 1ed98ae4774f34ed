package policy

import (
	"regexp"
	"strings"
	"testing"

	"privaq/internal/inventory"
)

// asciiSpaceBefore finds an ordinary space where French typography wants a
// no-break space: before « : ; ? ! », after « and before ».
var asciiSpaceBefore = regexp.MustCompile(` [:;?!»]|« `)

// TestTypography checks every generated policy for template leftovers and
// empty parts, and the French ones for spacing and apostrophes.
func TestTypography(t *testing.T) {
	docs := map[string]*inventory.Document{"demo": inventory.Demo(), "edge": edge(t)}
	for name, d := range docs {
		for _, lang := range inventory.Languages {
			p, err := Render(d, lang, demoOptions())
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, name+"."+lang, p)
			h, md := render(t, d, lang, demoOptions())
			for format, out := range map[string]string{"html": h, "markdown": md} {
				where := name + "." + lang + "." + format
				for _, bad := range []string{"{{", "}}", "<no value>", "%!", "<p></p>", "<li></li>", "<td></td>", "..", " ,", "  "} {
					if i := strings.Index(out, bad); i >= 0 {
						t.Errorf("%s: %q at %q", where, bad, around(out, i))
					}
				}
				if lang != "fr" {
					continue
				}
				if loc := asciiSpaceBefore.FindStringIndex(out); loc != nil {
					t.Errorf("%s: ASCII space in %q; want a no-break space", where, around(out, loc[0]))
				}
				for _, bad := range []string{"'", "&#39;"} {
					if i := strings.Index(out, bad); i >= 0 {
						t.Errorf("%s: straight apostrophe in %q", where, around(out, i))
					}
				}
			}
		}
	}
}

// checkStructure fails on an empty section, paragraph, list, cell or
// heading.
func checkStructure(t *testing.T, where string, p *Policy) {
	t.Helper()
	if p.Title == "" || p.Status == "" || len(p.Summary.Rows) == 0 {
		t.Errorf("%s: empty title, status or summary", where)
	}
	for _, s := range p.Sections {
		if s.Heading == "" || len(s.Blocks) == 0 {
			t.Errorf("%s: section %s is empty", where, s.ID)
		}
		for i, b := range s.Blocks {
			empty := false
			switch b.Kind {
			case KindParagraph, KindHeading:
				empty = strings.TrimSpace(b.Text) == ""
			case KindList:
				empty = len(b.Items) == 0
				for _, it := range b.Items {
					empty = empty || strings.TrimSpace(it.Text) == ""
				}
			case KindTable:
				empty = len(b.Table.Rows) == 0 || b.Table.Caption == ""
				for _, row := range b.Table.Rows {
					empty = empty || len(row) != len(b.Table.Head)
					for _, cell := range row {
						empty = empty || strings.TrimSpace(cell) == ""
					}
				}
			}
			if empty {
				t.Errorf("%s: section %s, block %d (%s) is empty or ragged", where, s.ID, i, b.Kind)
			}
		}
		// A sub-heading must be followed by something.
		if last := s.Blocks[len(s.Blocks)-1]; last.Kind == KindHeading {
			t.Errorf("%s: section %s ends with a sub-heading", where, s.ID)
		}
	}
}

func around(s string, i int) string {
	return s[max(0, i-30):min(len(s), i+30)]
}

// TestSparse renders inventories with nothing but a profile, under each
// regime: every section must still say something sensible.
func TestSparse(t *testing.T) {
	for _, r := range []inventory.Regime{inventory.RegimePrivate, inventory.RegimePublic, inventory.RegimeBoth} {
		d := &inventory.Document{Org: inventory.Profile{Name: "Exemple inc.", Regime: r, Languages: []string{"fr"}}}
		for _, lang := range inventory.Languages {
			p, err := Render(d, lang, Options{Org: "exemple"})
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, string(r)+"."+lang, p)
			h, _ := render(t, d, lang, Options{Org: "exemple"})
			for _, bad := range []string{"inc..", "{{", "<no value>"} {
				if strings.Contains(h, bad) {
					t.Errorf("%s.%s: output contains %q", r, lang, bad)
				}
			}
		}
	}
}
