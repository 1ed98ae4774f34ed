package policy

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/signintech/gopdf"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// pdfRun is text in one style; brk forces a line break.
type pdfRun struct {
	text string
	bold bool
	href string
	brk  bool
}

// pdfPiece is a run placed on a line, at x from the line's start.
type pdfPiece struct {
	text string
	bold bool
	href string
	x, w float64
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

// pdfMetrics measures text with the fonts' own advance widths, the ones
// gopdf writes, so a wrapped line fits exactly.
type pdfMetrics struct {
	gp     *gopdf.GoPdf
	latin  [2][0x250]int32 // widths + 1 of the commonest runes, 0 when not yet known
	others [2]map[rune]int32
	err    error // the first error; measuring goes on with zero widths
}

// runeWidth is the advance of r in thousandths of the font size.
func (m *pdfMetrics) runeWidth(r rune, bold bool) int32 {
	f := 0
	if bold {
		f = 1
	}
	if r >= 0 && r < 0x250 && m.latin[f][r] > 0 {
		return m.latin[f][r] - 1
	}
	if v, ok := m.others[f][r]; ok {
		return v
	}
	var v int32
	if err := m.gp.SetFont(fontFamilies[f], "", 1000); err != nil {
		m.fail(err)
	} else if w, err := m.gp.MeasureTextWidth(string(r)); err != nil {
		m.fail(err)
	} else {
		v = int32(math.Round(w))
	}
	if r >= 0 && r < 0x250 {
		m.latin[f][r] = v + 1
	} else {
		if m.others[f] == nil {
			m.others[f] = map[rune]int32{}
		}
		m.others[f][r] = v
	}
	return v
}

func (m *pdfMetrics) width(s string, bold bool, size float64) float64 {
	var sum int32
	for _, r := range s {
		sum += m.runeWidth(r, bold)
	}
	return float64(sum) * size / 1000
}

func (m *pdfMetrics) fail(err error) {
	if m.err == nil {
		m.err = fmt.Errorf("policy: measuring PDF text: %w", err)
	}
}

// pdfWord is text between breakable spaces, possibly in several styles.
type pdfWord struct {
	parts     []pdfPiece
	space     bool // a space separates it from the word before
	spaceBold bool
	brk       bool // it starts a new line
}

// pdfWords cuts runs at their ASCII spaces; no-break spaces hold a word
// together, as in « nous » or 30 jours.
func pdfWords(runs []pdfRun) []pdfWord {
	var (
		out     []pdfWord
		cur     pdfWord
		b       strings.Builder
		space   bool
		spaceB  bool
		pending bool
	)
	part := func(r pdfRun) {
		if b.Len() > 0 {
			if len(cur.parts) == 0 {
				cur.space, cur.spaceBold, cur.brk = space, spaceB, pending
				space, pending = false, false
			}
			cur.parts = append(cur.parts, pdfPiece{text: b.String(), bold: r.bold, href: r.href})
			b.Reset()
		}
	}
	end := func() {
		if len(cur.parts) > 0 {
			out = append(out, cur)
		}
		cur = pdfWord{}
	}
	for _, r := range runs {
		if r.brk {
			end()
			pending = true
			continue
		}
		for _, c := range r.text {
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				part(r)
				end()
				space, spaceB = true, r.bold
			case unicode.IsControl(c) || c == '\u00ad':
			default:
				b.WriteRune(c)
			}
		}
		part(r)
	}
	end()
	return out
}

// wrap breaks runs into lines of at most width points.
func (m *pdfMetrics) wrap(runs []pdfRun, size, width float64) [][]pdfPiece {
	var (
		lines [][]pdfPiece
		line  []pdfPiece
		lineW float64
	)
	for _, w := range pdfWords(runs) {
		var ww float64
		for i := range w.parts {
			w.parts[i].w = m.width(w.parts[i].text, w.parts[i].bold, size)
			ww += w.parts[i].w
		}
		gap := 0.0
		if w.space && len(line) > 0 {
			gap = m.width(" ", w.spaceBold, size)
		}
		if len(line) > 0 && (w.brk || lineW+gap+ww > width+0.001) {
			lines, line, lineW, gap = append(lines, line), nil, 0, 0
		}
		if ww > width {
			chunks := m.split(w.parts, size, width)
			lines = append(lines, chunks[:len(chunks)-1]...)
			line = chunks[len(chunks)-1]
			lineW = line[len(line)-1].x + line[len(line)-1].w
			continue
		}
		if gap > 0 {
			line = pdfPlace(line, pdfPiece{text: " ", bold: w.spaceBold}, lineW, gap)
			lineW += gap
		}
		for _, pc := range w.parts {
			line = pdfPlace(line, pc, lineW, pc.w)
			lineW += pc.w
		}
	}
	if len(line) > 0 {
		lines = append(lines, line)
	}
	return lines
}

// pdfPlace appends pc at x, merged with the piece before when they share a
// style, so a line is drawn in few operations.
func pdfPlace(line []pdfPiece, pc pdfPiece, x, w float64) []pdfPiece {
	if n := len(line); n > 0 && line[n-1].bold == pc.bold && line[n-1].href == pc.href {
		line[n-1].text += pc.text
		line[n-1].w += w
		return line
	}
	pc.x, pc.w = x, w
	return append(line, pc)
}

// split breaks a word wider than a line, such as a long address in a
// narrow column, after a hyphen or slash when it can, else anywhere.
func (m *pdfMetrics) split(parts []pdfPiece, size, width float64) [][]pdfPiece {
	type glyph struct {
		r    rune
		bold bool
		href string
		w    float64
	}
	var gs []glyph
	for _, pc := range parts {
		for _, r := range pc.text {
			gs = append(gs, glyph{r, pc.bold, pc.href, float64(m.runeWidth(r, pc.bold)) * size / 1000})
		}
	}
	var out [][]pdfPiece
	for len(gs) > 0 {
		n, w, cut := 0, 0.0, 0
		for n < len(gs) && (n == 0 || w+gs[n].w <= width) {
			w += gs[n].w
			if gs[n].r == '-' || gs[n].r == '/' {
				cut = n + 1
			}
			n++
		}
		if n < len(gs) && cut > 0 {
			n = cut
		}
		var line []pdfPiece
		x := 0.0
		for _, g := range gs[:n] {
			line = pdfPlace(line, pdfPiece{text: string(g.r), bold: g.bold, href: g.href}, x, g.w)
			x += g.w
		}
		out = append(out, line)
		gs = gs[n:]
	}
	return out
}

// pdfRuns is plain text with its web and email addresses as links.
// Paths of this instance stay text: the policy does not know its host.
func pdfRuns(s string, bold bool) []pdfRun {
	var rs []pdfRun
	for _, sp := range spans(s) {
		href := sp.href
		if strings.HasPrefix(href, "/") {
			href = ""
		}
		rs = append(rs, pdfRun{text: sp.text, bold: bold, href: href})
	}
	return rs
}

// pdfLayout places the policy on pages of operations.
type pdfLayout struct {
	m     *pdfMetrics
	sep   string
	pages [][]pdfOp
	y     float64        // top of the next line on the last page
	refs  map[string]int // page of each section
}

func (l *pdfLayout) newPage() {
	l.pages = append(l.pages, nil)
	l.y = marginTop
}

func (l *pdfLayout) add(o pdfOp) {
	n := len(l.pages) - 1
	l.pages[n] = append(l.pages[n], o)
}

// need starts a new page unless h points fit above the footer. A block
// taller than a page starts at the top of one and breaks as it goes.
func (l *pdfLayout) need(h float64) {
	if l.y+h > pageBottom && l.y > marginTop {
		l.newPage()
	}
}

// space separates blocks, but not at the top of a page.
func (l *pdfLayout) space(h float64) {
	if l.y > marginTop {
		l.y += h
	}
}

// line draws one line of text whose box starts at l.y.
func (l *pdfLayout) line(pcs []pdfPiece, x float64, st pdfStyle, k pdfInk) {
	base := l.y + (st.lead-st.size)/2 + ascent*st.size
	for _, pc := range pcs {
		o := pdfOp{kind: opText, bold: pc.bold, ink: k, size: st.size, x: x + pc.x, y: base, w: pc.w, text: pc.text, href: pc.href}
		if pc.href != "" {
			o.ink = inkLink
		}
		l.add(o)
	}
}

// lines draws wrapped lines, keeping the first two together and keep
// points free under them, so a heading is not left alone at the bottom.
func (l *pdfLayout) lines(lines [][]pdfPiece, x float64, st pdfStyle, k pdfInk, keep float64) {
	l.need(float64(min(len(lines), 2))*st.lead + keep)
	for _, ln := range lines {
		l.need(st.lead)
		l.line(ln, x, st, k)
		l.y += st.lead
	}
}

func (l *pdfLayout) text(runs []pdfRun, x float64, st pdfStyle, k pdfInk, keep float64) {
	l.lines(l.m.wrap(runs, st.size, bodyW-(x-marginX)), x, st, k, keep)
}

func (l *pdfLayout) policy(p *Policy) {
	l.newPage()
	l.text(pdfRuns(p.Title, true), marginX, styleTitle, inkText, 0)
	l.y += 2
	l.text(pdfRuns(p.Status, false), marginX, styleBody, inkMuted, 0)
	l.y += 8
	l.table(&p.Summary)
	if len(p.Sections) > 0 {
		l.space(10)
		l.text(pdfRuns(p.Contents, true), marginX, styleH2, inkText, 3*styleBody.lead)
		l.y += 4
		for _, s := range p.Sections {
			lines := l.m.wrap(pdfRuns(s.Heading, false), styleBody.size, bodyW-36)
			l.need(float64(len(lines)) * styleBody.lead)
			if len(lines) > 0 {
				l.add(pdfOp{kind: opPageRef, size: styleBody.size, x: marginX, y: l.y + (styleBody.lead-styleBody.size)/2 + ascent*styleBody.size,
					w: bodyW, h: float64(len(lines)) * styleBody.lead, ref: s.ID})
			}
			l.lines(lines, marginX, styleBody, inkText, 0)
			l.y += 2
		}
	}
	for _, s := range p.Sections {
		l.space(18)
		lines := l.m.wrap(pdfRuns(s.Heading, true), styleH2.size, bodyW)
		keep := 3 * styleBody.lead
		l.need(float64(min(len(lines), 2))*styleH2.lead + keep)
		title := s.Heading
		if title == "" {
			title = s.ID
		}
		l.add(pdfOp{kind: opMark, y: l.y, text: title, ref: s.ID})
		l.refs[s.ID] = len(l.pages)
		l.lines(lines, marginX, styleH2, inkText, keep)
		l.y += 4
		for _, b := range s.Blocks {
			l.block(b)
		}
	}
}

func (l *pdfLayout) block(b Block) {
	switch b.Kind {
	case KindParagraph:
		l.paragraph(pdfRuns(b.Text, false), 0)
	case KindHeading:
		l.heading(pdfRuns(b.Text, true))
	case KindList:
		for _, it := range b.Items {
			var runs []pdfRun
			if it.Term != "" {
				runs = append(pdfRuns(it.Term, true), pdfRun{text: l.sep})
			}
			l.item("•", append(runs, pdfRuns(it.Text, false)...), 1)
		}
		l.y += 4
	case KindTable:
		if b.Table != nil {
			l.table(b.Table)
		}
	case KindMarkdown:
		l.extra(b)
	}
}

func (l *pdfLayout) paragraph(runs []pdfRun, depth int) {
	l.text(runs, marginX+float64(depth)*listIndent, styleBody, inkText, 0)
	l.y += 6
}

func (l *pdfLayout) heading(runs []pdfRun) {
	l.space(6)
	l.text(runs, marginX, styleH3, inkText, 2*styleBody.lead)
	l.y += 3
}

// item draws a list item of nesting depth (from 1): its marker, then its
// text indented.
func (l *pdfLayout) item(marker string, runs []pdfRun, depth int) {
	x := marginX + float64(max(depth, 1))*listIndent
	lines := l.m.wrap(runs, styleBody.size, bodyW-(x-marginX))
	if len(lines) == 0 {
		return
	}
	l.need(float64(min(len(lines), 2)) * styleBody.lead)
	l.line([]pdfPiece{{text: marker}}, x-listIndent+2, styleBody, inkText)
	l.lines(lines, x, styleBody, inkText, 0)
	l.y += 2
}

// table draws a table across the page: caption, header row, then rows
// that break across pages with the header row repeated.
func (l *pdfLayout) table(t *Table) {
	n := len(t.Head)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	caption := l.m.wrap(pdfRuns(t.Caption, true), styleBody.size, bodyW)
	l.space(4)
	if n == 0 {
		l.lines(caption, marginX, styleBody, inkText, 0)
		return
	}
	widths := l.columns(t, n)
	var head [][][]pdfPiece
	if len(t.Head) > 0 {
		head = l.cells(t.Head, widths, true, false)
	}
	var first [][][]pdfPiece
	if len(t.Rows) > 0 {
		first = l.cells(t.Rows[0], widths, false, t.RowHeads)
	}
	l.need(float64(len(caption))*styleBody.lead + 2 + pdfRowHeight(head) + min(pdfRowHeight(first), 2*styleCell.lead+2*cellPad))
	l.lines(caption, marginX, styleBody, inkText, 0)
	l.y += 2
	if head != nil {
		l.row(head, widths, true, nil)
	}
	for i, r := range t.Rows {
		cells := first
		if i > 0 {
			cells = l.cells(r, widths, false, t.RowHeads)
		}
		l.row(cells, widths, false, head)
	}
	l.y += 10
}

// cells wraps a row's cells to their columns; a short row gets empty
// cells.
func (l *pdfLayout) cells(row []string, widths []float64, header, rowHeads bool) [][][]pdfPiece {
	out := make([][][]pdfPiece, len(widths))
	for c, w := range widths {
		if c < len(row) {
			out[c] = l.m.wrap(pdfRuns(row[c], header || rowHeads && c == 0), styleCell.size, w-2*cellPad)
		}
	}
	return out
}

func pdfRowLines(cells [][][]pdfPiece) int {
	n := 1
	for _, c := range cells {
		n = max(n, len(c))
	}
	return n
}

func pdfRowHeight(cells [][][]pdfPiece) float64 {
	if cells == nil {
		return 0
	}
	return float64(pdfRowLines(cells))*styleCell.lead + 2*cellPad
}

// row draws a row, moving it whole to the next page when it fits there
// and splitting it between lines only when it is taller than a page.
func (l *pdfLayout) row(cells [][][]pdfPiece, widths []float64, header bool, head [][][]pdfPiece) {
	total, broke := pdfRowLines(cells), false
	room := int((pageBottom - marginTop - pdfRowHeight(head) - 2*cellPad) / styleCell.lead)
	for pos := 0; pos < total; {
		left := total - pos
		fit := int((pageBottom - l.y - 2*cellPad) / styleCell.lead)
		if !broke && l.y > marginTop && fit < left && (fit < min(left, 2) || pos == 0 && left <= room) {
			l.newPage()
			if head != nil {
				l.row(head, widths, true, nil)
			}
			broke = true
			continue
		}
		k := min(left, max(fit, 1))
		l.chunk(cells, widths, pos, k, header)
		pos, broke = pos+k, false
	}
}

// chunk draws lines pos to pos+k of a row's cells, with their rules.
func (l *pdfLayout) chunk(cells [][][]pdfPiece, widths []float64, pos, k int, header bool) {
	top, h := l.y, float64(k)*styleCell.lead+2*cellPad
	if header {
		l.add(pdfOp{kind: opFill, ink: inkFill, x: marginX, y: top, w: bodyW, h: h})
	}
	x := marginX
	for c, lines := range cells {
		l.y = top + cellPad
		for i := pos; i < pos+k && i < len(lines); i++ {
			l.line(lines[i], x+cellPad, styleCell, inkText)
			l.y += styleCell.lead
		}
		l.add(pdfOp{kind: opRule, x: x, y: top, h: h})
		x += widths[c]
	}
	l.add(pdfOp{kind: opRule, x: x, y: top, h: h})
	l.add(pdfOp{kind: opRule, x: marginX, y: top, w: x - marginX})
	l.add(pdfOp{kind: opRule, x: marginX, y: top + h, w: x - marginX})
	l.y = top + h
}

// columns sizes the columns from their content, as a browser would: each
// at least its longest word (within reason) and at most its longest cell.
func (l *pdfLayout) columns(t *Table, n int) []float64 {
	lo, hi := make([]float64, n), make([]float64, n)
	measure := func(row []string, bold func(int) bool) {
		for c, s := range row {
			line := 0.0
			for i, w := range pdfWords(pdfRuns(s, bold(c))) {
				ww := 0.0
				for _, pc := range w.parts {
					ww += l.m.width(pc.text, pc.bold, styleCell.size)
				}
				if i > 0 && w.space {
					line += l.m.width(" ", w.spaceBold, styleCell.size)
				}
				line += ww
				lo[c] = max(lo[c], ww)
			}
			hi[c] = max(hi[c], line)
		}
	}
	measure(t.Head, func(int) bool { return true })
	for _, r := range t.Rows {
		measure(r, func(c int) bool { return t.RowHeads && c == 0 })
	}
	for c := range lo {
		lo[c] = min(lo[c], 0.3*bodyW) + 2*cellPad
		hi[c] = max(hi[c]+2*cellPad, lo[c])
	}
	return fitColumns(lo, hi, bodyW)
}

// fitColumns shares width between columns in proportion to the square
// root of their natural widths, which keeps short columns readable next
// to long ones, then holds each within [lo, hi].
func fitColumns(lo, hi []float64, width float64) []float64 {
	var sumLo, sumHi float64
	for i := range lo {
		sumLo += lo[i]
		sumHi += hi[i]
	}
	w := make([]float64, len(lo))
	switch {
	case sumHi <= width:
		for i := range w {
			w[i] = hi[i] * width / sumHi
		}
		return w
	case sumLo >= width:
		for i := range w {
			w[i] = lo[i] * width / sumLo
		}
		return w
	}
	fixed := make([]bool, len(w))
	for {
		rest, weight := width, 0.0
		for i := range w {
			if fixed[i] {
				rest -= w[i]
			} else {
				weight += math.Sqrt(hi[i])
			}
		}
		var under, over []int
		for i := range w {
			if !fixed[i] {
				w[i] = rest * math.Sqrt(hi[i]) / weight
				if w[i] < lo[i] {
					under = append(under, i)
				} else if w[i] > hi[i] {
					over = append(over, i)
				}
			}
		}
		// Fixing the narrow columns first leaves less for the others, so
		// a column over its natural width may no longer be.
		bound, set := under, lo
		if len(under) == 0 {
			bound, set = over, hi
		}
		if len(bound) == 0 {
			return w
		}
		for _, i := range bound {
			w[i], fixed[i] = set[i], true
		}
	}
}

// extraPart is a paragraph, heading or list item of the officer's text.
type extraPart struct {
	kind   string // KindParagraph, KindHeading or KindList for an item
	marker string
	depth  int // list nesting
	runs   []pdfRun
}

// extra draws the officer's text from its sanitized HTML, which has lost
// what the Markdown should not bring (raw HTML, unsafe links).
func (l *pdfLayout) extra(b Block) {
	for _, pt := range extraParts(b.HTML) {
		switch pt.kind {
		case KindHeading:
			l.heading(pt.runs)
		case KindList:
			l.item(pt.marker, pt.runs, pt.depth)
		default:
			l.paragraph(pt.runs, pt.depth)
		}
	}
}

var htmlSpace = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ", "\f", " ")

// extraParts reads the few elements goldmark writes and bluemonday keeps;
// any other element only contributes its text.
func extraParts(src string) []extraPart {
	var (
		parts []extraPart
		cur   = extraPart{kind: KindParagraph}
		lists []int // the next number of each open list; 0 for bullets
		bold  int
		pre   int
		href  string
	)
	hasText := func() bool {
		for _, r := range cur.runs {
			if strings.TrimSpace(r.text) != "" {
				return true
			}
		}
		return false
	}
	begin := func(kind string) {
		if hasText() {
			parts = append(parts, cur)
		}
		cur = extraPart{kind: kind, depth: len(lists)}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		tok := z.Token()
		switch tt {
		case html.ErrorToken:
			begin(KindParagraph)
			return parts
		case html.TextToken:
			if pre > 0 {
				for i, ln := range strings.Split(tok.Data, "\n") {
					if i > 0 {
						cur.runs = append(cur.runs, pdfRun{brk: true})
					}
					cur.runs = append(cur.runs, pdfRun{text: strings.ReplaceAll(ln, " ", "\u00a0"), bold: bold > 0, href: href})
				}
				continue
			}
			cur.runs = append(cur.runs, pdfRun{text: htmlSpace.Replace(tok.Data), bold: bold > 0, href: href})
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.DataAtom {
			case atom.P, atom.Div, atom.Blockquote, atom.Tr:
				// The first paragraph of a loose list item is the item.
				if cur.kind != KindList || hasText() {
					begin(KindParagraph)
				}
			case atom.Pre:
				begin(KindParagraph)
				pre++
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				begin(KindHeading)
			case atom.Ul, atom.Ol:
				begin(KindParagraph)
				next := 0
				if tok.DataAtom == atom.Ol {
					next = 1
					for _, a := range tok.Attr {
						if n, err := strconv.Atoi(a.Val); a.Key == "start" && err == nil {
							next = n
						}
					}
				}
				lists = append(lists, next)
				cur.depth = len(lists)
			case atom.Li:
				begin(KindList)
				cur.marker, cur.depth = "•", max(len(lists), 1)
				if n := len(lists); n > 0 && lists[n-1] > 0 {
					cur.marker = strconv.Itoa(lists[n-1]) + "."
					lists[n-1]++
				}
			case atom.Br:
				cur.runs = append(cur.runs, pdfRun{brk: true})
			case atom.Td, atom.Th:
				cur.runs = append(cur.runs, pdfRun{text: " "})
			case atom.Strong, atom.B:
				if tt == html.StartTagToken {
					bold++
				}
			case atom.A:
				href = ""
				for _, a := range tok.Attr {
					if a.Key == "href" && (strings.HasPrefix(a.Val, "https://") || strings.HasPrefix(a.Val, "http://") || strings.HasPrefix(a.Val, "mailto:")) {
						href = a.Val
					}
				}
			}
		case html.EndTagToken:
			switch tok.DataAtom {
			case atom.P, atom.Div, atom.Blockquote, atom.Tr, atom.Li,
				atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				begin(KindParagraph)
			case atom.Pre:
				begin(KindParagraph)
				pre = max(pre-1, 0)
			case atom.Ul, atom.Ol:
				begin(KindParagraph)
				if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
				cur.depth = len(lists)
			case atom.Strong, atom.B:
				bold = max(bold-1, 0)
			case atom.A:
				href = ""
			}
		}
	}
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
