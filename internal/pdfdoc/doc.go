// Package pdfdoc lays out and writes the A4 PDF documents privaq hands out:
// the privacy policy, the notice of a confidentiality incident to the
// Commission, the incident register. Text is measured with the embedded
// DejaVu fonts and broken into lines (text.go), placed on pages with
// headings kept with what follows and tables whose header row repeats on
// every page (layout.go, table.go), then drawn with gopdf here, with a
// footer on each page.
package pdfdoc

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/signintech/gopdf"
)

// The fonts travel inside the binary so that a document prints the same on
// every server, with every glyph French needs: accents, « », ’, — and
// both no-break spaces. fonts/LICENSE allows embedding them.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

var fontFamilies = [2]string{"DejaVuSans", "DejaVuSans-Bold"}

// fonts parses the fonts once: parsing costs milliseconds, and gopdf gives
// each document its own copy of a parsed font, so the container is only
// ever read.
var fonts = sync.OnceValues(func() (*gopdf.FontContainer, error) {
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
			return nil, fmt.Errorf("pdf: font %s: %w", fontFamilies[i], err)
		}
	}
	return fc, nil
})

// Page geometry, in points: A4 with 20 mm side margins and room for the
// footer at the bottom.
const (
	pageW      = 595.0
	pageH      = 842.0
	MarginX    = 56.7
	marginTop  = 56.7
	pageBottom = pageH - 70.0
	// BodyW is the width of the text between the margins.
	BodyW      = pageW - 2*MarginX
	cellPad    = 4.0
	ListIndent = 14.0
	ascent     = 0.8 // of the font size, from the top of the text to its baseline
)

// Style is a font size and the height of its lines.
type Style struct{ Size, Lead float64 }

// The styles of a document.
var (
	StyleTitle = Style{18, 23}
	StyleH2    = Style{14, 18}
	StyleH3    = Style{11.5, 15}
	StyleBody  = Style{10, 14}
	StyleCell  = Style{9, 12}
	styleFoot  = Style{8, 10}
)

// Ink is a colour of the page.
type Ink uint8

// The inks.
const (
	InkText Ink = iota
	InkMuted
	inkLink
	inkRule
	inkFill
)

var inks = [...][3]uint8{InkText: {0, 0, 0}, InkMuted: {85, 85, 85}, inkLink: {26, 79, 156},
	inkRule: {170, 170, 170}, inkFill: {235, 235, 235}}

// The document is laid out into pages of drawing operations first and
// drawn after, so that the footers know the page count and the contents
// know the page of each section.
type opKind uint8

const (
	opText    opKind = iota // text with its baseline at y
	opFill                  // a rectangle filled with ink
	opRule                  // a line from (x, y) to (x+w, y+h)
	opMark                  // the start of section ref: anchor and bookmark
	opPageRef               // the page of section ref, right-aligned at x+w, linked
)

type op struct {
	kind       opKind
	bold       bool
	ink        Ink
	size       float64
	x, y, w, h float64
	text       string
	href       string
	ref        string
}

// Info describes a document. Created is written as the creation date;
// giving the same one keeps the bytes of two writes the same.
type Info struct {
	Title, Author string
	Created       time.Time
	// Footer is the page label, with the page number and the page count:
	// "Page %d of %d".
	Footer string
}

// Doc is a document being laid out.
type Doc struct {
	gp *gopdf.GoPdf
	m  *metrics
	// Runs turns a table cell into runs; plain text by default.
	Runs  func(s string, bold bool) []Run
	pages [][]op
	y     float64        // top of the next line on the last page
	refs  map[string]int // page of each section
}

// New starts a document with its fonts and an empty first page.
func New() (*Doc, error) {
	fc, err := fonts()
	if err != nil {
		return nil, err
	}
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	for _, fam := range fontFamilies {
		if err := gp.AddTTFFontFromFontContainer(fam, fc); err != nil {
			return nil, fmt.Errorf("pdf: font %s: %w", fam, err)
		}
	}
	d := &Doc{gp: gp, m: &metrics{gp: gp}, refs: map[string]int{}, Runs: Plain}
	d.NewPage()
	return d, nil
}

// Plain is text in one style, without links.
func Plain(s string, bold bool) []Run { return []Run{{Text: s, Bold: bold}} }

// Write draws the pages, each with its footer (the title, when it fits,
// and the page label), and writes the PDF to w. gopdf has no way to set
// the catalog's /Lang.
func (d *Doc) Write(w io.Writer, info Info) error {
	if d.m.err != nil {
		return d.m.err
	}
	gp := d.gp
	pi := gopdf.PdfInfo{Title: info.Title, Author: info.Author, Creator: "privaq"}
	if !info.Created.IsZero() {
		pi.CreationDate = info.Created.UTC()
	}
	gp.SetInfo(pi)
	foot := info.Footer
	if foot == "" {
		foot = "Page %d of %d"
	}
	dr := drawer{gp: gp, m: d.m, refs: d.refs}
	for i, page := range d.pages {
		gp.AddPage()
		dr.page, dr.font = i+1, -1
		for _, o := range page {
			dr.draw(o)
		}
		dr.footer(info.Title, fmt.Sprintf(foot, i+1, len(d.pages)))
	}
	if dr.err != nil {
		return dr.err
	}
	if d.m.err != nil {
		return d.m.err
	}
	// GetBytesPdfReturnErr, unlike WriteTo, cannot lose a write error.
	data, err := gp.GetBytesPdfReturnErr()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// drawer draws the laid-out operations with gopdf, setting the font only
// when it changes: gopdf looks a font up by scanning its objects.
type drawer struct {
	gp   *gopdf.GoPdf
	m    *metrics
	refs map[string]int
	font int // -1 when unknown
	size float64
	// page counts the pages drawn; stroked is the page whose rule colour
	// and width are set, as text changes neither.
	page, stroked int
	err           error
}

func (d *drawer) fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("pdf: drawing: %w", err)
	}
}

// width measures text; measuring may switch gopdf's font, so the next
// text sets it again.
func (d *drawer) width(s string, bold bool, size float64) float64 {
	d.font = -1
	return d.m.width(s, bold, size)
}

func (d *drawer) draw(o op) {
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
		c := inks[o.ink]
		gp.SetTextColor(c[0], c[1], c[2])
		gp.SetXY(o.x, o.y)
		if err := gp.Text(o.text); err != nil {
			d.fail(err)
		}
		if o.href != "" {
			gp.AddExternalLink(o.href, o.x, o.y-ascent*o.size, o.w, o.size)
		}
	case opFill:
		c := inks[o.ink]
		gp.SetFillColor(c[0], c[1], c[2])
		gp.RectFromUpperLeftWithStyle(o.x, o.y, o.w, o.h, "F")
	case opRule:
		if d.stroked != d.page {
			c := inks[inkRule]
			gp.SetStrokeColor(c[0], c[1], c[2])
			gp.SetLineWidth(0.5)
			d.stroked = d.page
		}
		gp.Line(o.x, o.y, o.x+o.w, o.y+o.h)
	case opMark:
		gp.SetXY(MarginX, o.y)
		gp.SetAnchor(o.ref)
		gp.AddOutlineWithPosition(o.text)
	case opPageRef:
		s := strconv.Itoa(d.refs[o.ref])
		w := d.width(s, false, o.size)
		d.draw(op{kind: opText, ink: InkText, size: o.size, x: o.x + o.w - w, y: o.y, text: s})
		gp.AddInternalLink(o.ref, o.x, o.y-ascent*o.size-(StyleBody.Lead-o.size)/2, o.w, o.h)
	}
}

// footer writes the title, when it fits, and the page number.
func (d *drawer) footer(title, label string) {
	y := pageH - 36
	d.draw(op{kind: opRule, x: MarginX, y: y - 12, w: BodyW})
	lw := d.width(label, false, styleFoot.Size)
	d.draw(op{kind: opText, ink: InkMuted, size: styleFoot.Size, x: MarginX + BodyW - lw, y: y, text: label})
	if d.width(title, false, styleFoot.Size) < BodyW-lw-24 {
		d.draw(op{kind: opText, ink: InkMuted, size: styleFoot.Size, x: MarginX, y: y, text: title})
	}
}
