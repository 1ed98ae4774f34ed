package pdfdoc

import "math"

// Table is a table with one header row, repeated on every page the table
// runs over. When RowHeads is set, each row's first cell is the header of
// its row (bold).
type Table struct {
	Caption  string
	Head     []string
	Rows     [][]string
	RowHeads bool
}

// Table draws a table across the page: caption, header row, then rows
// that break across pages with the header row repeated.
func (d *Doc) Table(t *Table) {
	n := len(t.Head)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	caption := d.Wrap(d.Runs(t.Caption, true), StyleBody.Size, BodyW)
	d.Space(4)
	if n == 0 {
		d.Lines(caption, MarginX, StyleBody, InkText, 0)
		return
	}
	widths := d.columns(t, n)
	var head [][][]Piece
	if len(t.Head) > 0 {
		head = d.cells(t.Head, widths, true, false)
	}
	var first [][][]Piece
	if len(t.Rows) > 0 {
		first = d.cells(t.Rows[0], widths, false, t.RowHeads)
	}
	d.Need(float64(len(caption))*StyleBody.Lead + 2 + rowHeight(head) + min(rowHeight(first), 2*StyleCell.Lead+2*cellPad))
	d.Lines(caption, MarginX, StyleBody, InkText, 0)
	d.y += 2
	if head != nil {
		d.row(head, widths, true, nil)
	}
	for i, r := range t.Rows {
		cells := first
		if i > 0 {
			cells = d.cells(r, widths, false, t.RowHeads)
		}
		d.row(cells, widths, false, head)
	}
	d.y += 10
}

// cells wraps a row's cells to their columns; a short row gets empty
// cells.
func (d *Doc) cells(row []string, widths []float64, header, rowHeads bool) [][][]Piece {
	out := make([][][]Piece, len(widths))
	for c, w := range widths {
		if c < len(row) {
			out[c] = d.Wrap(d.Runs(row[c], header || rowHeads && c == 0), StyleCell.Size, w-2*cellPad)
		}
	}
	return out
}

func rowLines(cells [][][]Piece) int {
	n := 1
	for _, c := range cells {
		n = max(n, len(c))
	}
	return n
}

func rowHeight(cells [][][]Piece) float64 {
	if cells == nil {
		return 0
	}
	return float64(rowLines(cells))*StyleCell.Lead + 2*cellPad
}

// row draws a row, moving it whole to the next page when it fits there
// and splitting it between lines only when it is taller than a page.
func (d *Doc) row(cells [][][]Piece, widths []float64, header bool, head [][][]Piece) {
	total, broke := rowLines(cells), false
	room := int((pageBottom - marginTop - rowHeight(head) - 2*cellPad) / StyleCell.Lead)
	for pos := 0; pos < total; {
		left := total - pos
		fit := int((pageBottom - d.y - 2*cellPad) / StyleCell.Lead)
		if !broke && d.y > marginTop && fit < left && (fit < min(left, 2) || pos == 0 && left <= room) {
			d.NewPage()
			if head != nil {
				d.row(head, widths, true, nil)
			}
			broke = true
			continue
		}
		k := min(left, max(fit, 1))
		d.chunk(cells, widths, pos, k, header)
		pos, broke = pos+k, false
	}
}

// chunk draws lines pos to pos+k of a row's cells, with their rules.
func (d *Doc) chunk(cells [][][]Piece, widths []float64, pos, k int, header bool) {
	top, h := d.y, float64(k)*StyleCell.Lead+2*cellPad
	if header {
		d.add(op{kind: opFill, ink: inkFill, x: MarginX, y: top, w: BodyW, h: h})
	}
	x := MarginX
	for c, lines := range cells {
		d.y = top + cellPad
		for i := pos; i < pos+k && i < len(lines); i++ {
			d.line(lines[i], x+cellPad, StyleCell, InkText)
			d.y += StyleCell.Lead
		}
		d.add(op{kind: opRule, x: x, y: top, h: h})
		x += widths[c]
	}
	d.add(op{kind: opRule, x: x, y: top, h: h})
	d.add(op{kind: opRule, x: MarginX, y: top, w: x - MarginX})
	d.add(op{kind: opRule, x: MarginX, y: top + h, w: x - MarginX})
	d.y = top + h
}

// columns sizes the columns from their content, as a browser would: each
// at least its longest word (within reason) and at most its longest cell.
func (d *Doc) columns(t *Table, n int) []float64 {
	lo, hi := make([]float64, n), make([]float64, n)
	measure := func(row []string, bold func(int) bool) {
		for c, s := range row {
			line := 0.0
			for i, w := range words(d.Runs(s, bold(c))) {
				ww := 0.0
				for _, pc := range w.parts {
					ww += d.m.width(pc.text, pc.bold, StyleCell.Size)
				}
				if i > 0 && w.space {
					line += d.m.width(" ", w.spaceBold, StyleCell.Size)
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
		lo[c] = min(lo[c], 0.3*BodyW) + 2*cellPad
		hi[c] = max(hi[c]+2*cellPad, lo[c])
	}
	return fitColumns(lo, hi, BodyW)
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
