package pdfdoc

// Text is measured here with the embedded fonts' own widths and broken into
// lines that fit; the layout and the drawer measure through metrics.

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"
)

// Run is text in one style; Break forces a line break. Href, when set,
// makes the text a link.
type Run struct {
	Text  string
	Bold  bool
	Href  string
	Break bool
}

// Piece is a run placed on a line, at x from the line's start.
type Piece struct {
	text string
	bold bool
	href string
	x, w float64
}

// metrics measures text with the fonts' own advance widths, the ones
// gopdf writes, so a wrapped line fits exactly.
type metrics struct {
	gp     *gopdf.GoPdf
	latin  [2][0x250]int32 // widths + 1 of the commonest runes, 0 when not yet known
	others [2]map[rune]int32
	err    error // the first error; measuring goes on with zero widths
}

// runeWidth is the advance of r in thousandths of the font size.
func (m *metrics) runeWidth(r rune, bold bool) int32 {
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

func (m *metrics) width(s string, bold bool, size float64) float64 {
	var sum int32
	for _, r := range s {
		sum += m.runeWidth(r, bold)
	}
	return float64(sum) * size / 1000
}

func (m *metrics) fail(err error) {
	if m.err == nil {
		m.err = fmt.Errorf("pdf: measuring text: %w", err)
	}
}

// word is text between breakable spaces, possibly in several styles.
type word struct {
	parts     []Piece
	space     bool // a space separates it from the word before
	spaceBold bool
	brk       bool // it starts a new line
}

// words cuts runs at their ASCII spaces; no-break spaces hold a word
// together, as in « nous » or 30 jours.
func words(runs []Run) []word {
	var (
		out     []word
		cur     word
		b       strings.Builder
		space   bool
		spaceB  bool
		pending bool
	)
	part := func(r Run) {
		if b.Len() > 0 {
			if len(cur.parts) == 0 {
				cur.space, cur.spaceBold, cur.brk = space, spaceB, pending
				space, pending = false, false
			}
			cur.parts = append(cur.parts, Piece{text: b.String(), bold: r.Bold, href: r.Href})
			b.Reset()
		}
	}
	end := func() {
		if len(cur.parts) > 0 {
			out = append(out, cur)
		}
		cur = word{}
	}
	for _, r := range runs {
		if r.Break {
			end()
			pending = true
			continue
		}
		for _, c := range r.Text {
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
				part(r)
				end()
				space, spaceB = true, r.Bold
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
func (m *metrics) wrap(runs []Run, size, width float64) [][]Piece {
	var (
		lines [][]Piece
		line  []Piece
		lineW float64
	)
	for _, w := range words(runs) {
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
			line = place(line, Piece{text: " ", bold: w.spaceBold}, lineW, gap)
			lineW += gap
		}
		for _, pc := range w.parts {
			line = place(line, pc, lineW, pc.w)
			lineW += pc.w
		}
	}
	if len(line) > 0 {
		lines = append(lines, line)
	}
	return lines
}

// place appends pc at x, merged with the piece before when they share a
// style, so a line is drawn in few operations.
func place(line []Piece, pc Piece, x, w float64) []Piece {
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
func (m *metrics) split(parts []Piece, size, width float64) [][]Piece {
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
	var out [][]Piece
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
		var line []Piece
		x := 0.0
		for _, g := range gs[:n] {
			line = place(line, Piece{text: string(g.r), bold: g.bold, href: g.href}, x, g.w)
			x += g.w
		}
		out = append(out, line)
		gs = gs[n:]
	}
	return out
}

// Wrap breaks runs into lines of at most width points at size.
func (d *Doc) Wrap(runs []Run, size, width float64) [][]Piece { return d.m.wrap(runs, size, width) }

// Multiline is text in one style whose line breaks are kept.
func Multiline(s string, bold bool) []Run {
	var rs []Run
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			rs = append(rs, Run{Break: true})
		}
		rs = append(rs, Run{Text: line, Bold: bold})
	}
	return rs
}
