package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signintech/gopdf"

	"privaq/internal/pdfdoc/pdftest"
)

// TestGlyphs checks that the embedded fonts have a glyph of their own
// for each character of French typography, so none is substituted.
func TestGlyphs(t *testing.T) {
	fc, err := fonts()
	if err != nil {
		t.Fatal(err)
	}
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	for _, fam := range fontFamilies {
		if err := gp.AddTTFFontFromFontContainer(fam, fc); err != nil {
			t.Fatal(err)
		}
		if err := gp.SetFont(fam, "", 10); err != nil {
			t.Fatal(err)
		}
		for _, r := range "éèêëàâîïôûùüçÉÈÊÀÇŒœ«»’“”—–…•\u00a0\u202f" {
			if ok, err := gp.IsCurrFontContainGlyph(r); !ok || err != nil {
				t.Errorf("%s: no glyph for %q (U+%04X): %v", fam, r, r, err)
			}
		}
	}
}

func TestFitColumns(t *testing.T) {
	for _, tc := range []struct{ lo, hi []float64 }{
		{[]float64{50, 50}, []float64{100, 100}},             // narrow: widened
		{[]float64{60, 80}, []float64{250, 2000}},            // summary-like
		{[]float64{200, 200, 200}, []float64{300, 300, 300}}, // mins too wide: shrunk
		{[]float64{30, 30, 100}, []float64{40, 3000, 3000}},
	} {
		w := fitColumns(tc.lo, tc.hi, BodyW)
		sum := 0.0
		for i, x := range w {
			sum += x
			if x <= 0 {
				t.Errorf("fitColumns(%v, %v): column %d is %v wide", tc.lo, tc.hi, i, x)
			}
		}
		if sum < BodyW-0.01 || sum > BodyW+0.01 {
			t.Errorf("fitColumns(%v, %v) = %v: got width %v, want %v", tc.lo, tc.hi, w, sum, BodyW)
		}
	}
}

// TestTableAcrossPages lays out a table taller than a page: its header row
// comes back on every page, its French cells come back exact, and two
// writes give the same bytes.
func TestTableAcrossPages(t *testing.T) {
	write := func() []byte {
		d, err := New()
		if err != nil {
			t.Fatal(err)
		}
		d.Text([]Run{{Text: "Registre des incidents de confidentialité", Bold: true}}, MarginX, StyleTitle, InkText, 0)
		tb := &Table{Caption: "Incidents déclarés", Head: []string{"Référence", "Circonstances"}, RowHeads: true}
		for i := range 120 {
			tb.Rows = append(tb.Rows, []string{fmt.Sprintf("INC-%03d", i+1), "Courriel envoyé par erreur à « un tiers » — hôpital Saint-Éloi"})
		}
		d.Table(tb)
		var buf bytes.Buffer
		if err := d.Write(&buf, Info{Title: "Registre", Footer: "Page %d sur %d", Created: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	pdf := write()
	if !bytes.Equal(pdf, write()) {
		t.Error("two writes of the same document differ")
	}
	text, pages := pdftest.Text(t, pdf)
	if pages < 3 {
		t.Fatalf("pages: got %d, want at least 3 for 120 rows", pages)
	}
	for i, page := range strings.Split(strings.TrimRight(text, "\f\n"), "\f") {
		if !strings.Contains(page, "Référence") || !strings.Contains(page, fmt.Sprintf("Page %d sur %d", i+1, pages)) {
			t.Errorf("page %d: got no header row or no footer:\n%s", i+1, page)
		}
	}
	flat := pdftest.Flat(text)
	for _, want := range []string{"Registre des incidents de confidentialité", "INC-120", "Courriel envoyé par erreur à « un tiers » — hôpital Saint-Éloi"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
}
