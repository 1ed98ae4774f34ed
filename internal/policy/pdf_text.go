package policy

// Text is measured here with the embedded fonts' own widths and broken into
// lines that fit; the layout and the drawer measure through pdfMetrics.

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"
)

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
