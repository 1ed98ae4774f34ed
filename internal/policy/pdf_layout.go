package policy

// The layout places the policy's blocks and tables on pages of drawing
// operations, deciding where pages break; pdf.go then draws them.

import "math"

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
