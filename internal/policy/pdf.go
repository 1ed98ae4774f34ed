package policy

// PDF sets up the document and its fonts, has the policy laid out on pages
// (pdf_layout.go, with pdf_text.go for lines and pdf_extra.go for the
// officer's text), then draws those pages and their footers here.

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/signintech/gopdf"
)

// The fonts travel inside the binary so that a policy prints the same on
// every server, with every glyph French needs: accents, « », ’, — and
// both no-break spaces. fonts/LICENSE allows embedding them.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

var fontFamilies = [2]string{"DejaVuSans", "DejaVuSans-Bold"}

// pdfFonts parses the fonts once: parsing costs milliseconds, and gopdf
// gives each document its own copy of a parsed font, so the container is
// only ever read.
var pdfFonts = sync.OnceValues(func() (*gopdf.FontContainer, error) {
	fc := new(gopdf.FontContainer)
	// DejaVu has every glyph of the templates, U+202F included; should a
	// font lack it, the no-break space means the same. Any other missing
	// character shows as "?" rather than as gopdf's silent space.
	opt := gopdf.TtfOption{OnGlyphNotFoundSubstitute: func(r rune) rune {
		if r == '\u202f' {
			return '\u00a0'
		}
		return '?'
	}}
	for i, data := range [2][]byte{fontRegular, fontBold} {
		if err := fc.AddTTFFontDataWithOption(fontFamilies[i], data, opt); err != nil {
			return nil, fmt.Errorf("policy: font %s: %w", fontFamilies[i], err)
		}
	}
	return fc, nil
})

// Page geometry, in points: A4 with 20 mm side margins and room for the
// footer at the bottom.
const (
	pageW      = 595.0
	pageH      = 842.0
	marginX    = 56.7
	marginTop  = 56.7
	pageBottom = pageH - 70.0
	bodyW      = pageW - 2*marginX
	cellPad    = 4.0
	listIndent = 14.0
	ascent     = 0.8 // of the font size, from the top of the text to its baseline
)

// pdfStyle is a font size and the height of its lines.
type pdfStyle struct{ size, lead float64 }

var (
	styleTitle = pdfStyle{18, 23}
	styleH2    = pdfStyle{14, 18}
	styleH3    = pdfStyle{11.5, 15}
	styleBody  = pdfStyle{10, 14}
	styleCell  = pdfStyle{9, 12}
	styleFoot  = pdfStyle{8, 10}
)

// pdfInk is a colour of the page.
type pdfInk uint8

const (
	inkText pdfInk = iota
	inkMuted
	inkLink
	inkRule
	inkFill
)

var pdfInks = [...][3]uint8{inkText: {0, 0, 0}, inkMuted: {85, 85, 85}, inkLink: {26, 79, 156},
	inkRule: {170, 170, 170}, inkFill: {235, 235, 235}}

// The document is laid out into pages of drawing operations first and
// drawn after, so that the footers know the page count and the contents
// know the page of each section.
type pdfOpKind uint8

const (
	opText    pdfOpKind = iota // text with its baseline at y
	opFill                     // a rectangle filled with ink
	opRule                     // a line from (x, y) to (x+w, y+h)
	opMark                     // the start of section ref: anchor and bookmark
	opPageRef                  // the page of section ref, right-aligned at x+w, linked
)

type pdfOp struct {
	kind       pdfOpKind
	bold       bool
	ink        pdfInk
	size       float64
	x, y, w, h float64
	text       string
	href       string
	ref        string
}

// PDF writes the policy as an A4 PDF with its fonts embedded, for people
// who want it on paper or as a file that reads the same everywhere. Two
// calls on the same policy write the same bytes, so a published version's
// PDF can be cached or compared.
func (p *Policy) PDF(w io.Writer) error {
	fc, err := pdfFonts()
	if err != nil {
		return err
	}
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	for _, fam := range fontFamilies {
		if err := gp.AddTTFFontFromFontContainer(fam, fc); err != nil {
			return fmt.Errorf("policy: font %s: %w", fam, err)
		}
	}
	// gopdf writes no date unless given one; the effective date keeps the
	// bytes reproducible. gopdf has no way to set the catalog's /Lang.
	info := gopdf.PdfInfo{Title: p.Title, Author: p.OrgName, Creator: "privaq"}
	if p.EffectiveAt != nil {
		info.CreationDate = p.EffectiveAt.UTC()
	}
	gp.SetInfo(info)

	sep := ": "
	if c, ok := catalogs[p.Lang]; ok {
		sep = c.raw("word.sep", nil)
	}
	l := &pdfLayout{m: &pdfMetrics{gp: gp}, sep: sep, refs: map[string]int{}}
	l.policy(p)
	if l.m.err != nil {
		return l.m.err
	}
	foot := "Page %d of %d"
	if p.Lang == "fr" {
		foot = "Page %d sur %d"
	}
	d := pdfDrawer{gp: gp, m: l.m, refs: l.refs}
	for i, page := range l.pages {
		gp.AddPage()
		d.page, d.font = i+1, -1
		for _, o := range page {
			d.draw(o)
		}
		d.footer(p.Title, fmt.Sprintf(foot, i+1, len(l.pages)))
	}
	if d.err != nil {
		return d.err
	}
	if l.m.err != nil {
		return l.m.err
	}
	// GetBytesPdfReturnErr, unlike WriteTo, cannot lose a write error.
	data, err := gp.GetBytesPdfReturnErr()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// pdfDrawer draws the laid-out operations with gopdf, setting the font only
// when it changes: gopdf looks a font up by scanning its objects.
type pdfDrawer struct {
	gp   *gopdf.GoPdf
	m    *pdfMetrics
	refs map[string]int
	font int // -1 when unknown
	size float64
	// page counts the pages drawn; stroked is the page whose rule colour
	// and width are set, as text changes neither.
	page, stroked int
	err           error
}

func (d *pdfDrawer) fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("policy: drawing PDF: %w", err)
	}
}

// width measures text; measuring may switch gopdf's font, so the next
// text sets it again.
func (d *pdfDrawer) width(s string, bold bool, size float64) float64 {
	d.font = -1
	return d.m.width(s, bold, size)
}

func (d *pdfDrawer) draw(o pdfOp) {
	gp := d.gp
	switch o.kind {
	case opText:
		f := 0
		if o.bold {
			f = 1
		}
		if f != d.font {
			if err := gp.SetFont(fontFamilies[f], "", o.size); err != nil {
				d.fail(err)
				return
			}
			d.font, d.size = f, o.size
		} else if o.size != d.size {
			_ = gp.SetFontSize(o.size) // never fails
			d.size = o.size
		}
		c := pdfInks[o.ink]
		gp.SetTextColor(c[0], c[1], c[2])
		gp.SetXY(o.x, o.y)
		if err := gp.Text(o.text); err != nil {
			d.fail(err)
		}
		if o.href != "" {
			gp.AddExternalLink(o.href, o.x, o.y-ascent*o.size, o.w, o.size)
		}
	case opFill:
		c := pdfInks[o.ink]
		gp.SetFillColor(c[0], c[1], c[2])
		gp.RectFromUpperLeftWithStyle(o.x, o.y, o.w, o.h, "F")
	case opRule:
		if d.stroked != d.page {
			c := pdfInks[inkRule]
			gp.SetStrokeColor(c[0], c[1], c[2])
			gp.SetLineWidth(0.5)
			d.stroked = d.page
		}
		gp.Line(o.x, o.y, o.x+o.w, o.y+o.h)
	case opMark:
		gp.SetXY(marginX, o.y)
		gp.SetAnchor(o.ref)
		gp.AddOutlineWithPosition(o.text)
	case opPageRef:
		s := strconv.Itoa(d.refs[o.ref])
		w := d.width(s, false, o.size)
		d.draw(pdfOp{kind: opText, ink: inkText, size: o.size, x: o.x + o.w - w, y: o.y, text: s})
		gp.AddInternalLink(o.ref, o.x, o.y-ascent*o.size-(styleBody.lead-o.size)/2, o.w, o.h)
	}
}

// footer writes the title, when it fits, and the page number.
func (d *pdfDrawer) footer(title, label string) {
	y := pageH - 36
	d.draw(pdfOp{kind: opRule, x: marginX, y: y - 12, w: bodyW})
	lw := d.width(label, false, styleFoot.size)
	d.draw(pdfOp{kind: opText, ink: inkMuted, size: styleFoot.size, x: marginX + bodyW - lw, y: y, text: label})
	if d.width(title, false, styleFoot.size) < bodyW-lw-24 {
		d.draw(pdfOp{kind: opText, ink: inkMuted, size: styleFoot.size, x: marginX, y: y, text: title})
	}
}
