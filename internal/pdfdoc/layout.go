package pdfdoc

// The layout places blocks on pages of drawing operations, deciding where
// pages break; doc.go then draws them.

// NewPage starts a page.
func (d *Doc) NewPage() {
	d.pages = append(d.pages, nil)
	d.y = marginTop
}

// Pages is the number of pages laid out so far.
func (d *Doc) Pages() int { return len(d.pages) }

func (d *Doc) add(o op) {
	n := len(d.pages) - 1
	d.pages[n] = append(d.pages[n], o)
}

// Need starts a new page unless h points fit above the footer. A block
// taller than a page starts at the top of one and breaks as it goes.
func (d *Doc) Need(h float64) {
	if d.y+h > pageBottom && d.y > marginTop {
		d.NewPage()
	}
}

// Space separates blocks, but not at the top of a page.
func (d *Doc) Space(h float64) {
	if d.y > marginTop {
		d.y += h
	}
}

// Gap moves down by h points, even at the top of a page.
func (d *Doc) Gap(h float64) { d.y += h }

// line draws one line of text whose box starts at d.y.
func (d *Doc) line(pcs []Piece, x float64, st Style, k Ink) {
	base := d.y + (st.Lead-st.Size)/2 + ascent*st.Size
	for _, pc := range pcs {
		o := op{kind: opText, bold: pc.bold, ink: k, size: st.Size, x: x + pc.x, y: base, w: pc.w, text: pc.text, href: pc.href}
		if pc.href != "" {
			o.ink = inkLink
		}
		d.add(o)
	}
}

// Lines draws wrapped lines, keeping the first two together and keep
// points free under them, so a heading is not left alone at the bottom.
func (d *Doc) Lines(lines [][]Piece, x float64, st Style, k Ink, keep float64) {
	d.Need(float64(min(len(lines), 2))*st.Lead + keep)
	for _, ln := range lines {
		d.Need(st.Lead)
		d.line(ln, x, st, k)
		d.y += st.Lead
	}
}

// Text wraps runs to the width left of x and draws them (see Lines).
func (d *Doc) Text(runs []Run, x float64, st Style, k Ink, keep float64) {
	d.Lines(d.Wrap(runs, st.Size, BodyW-(x-MarginX)), x, st, k, keep)
}

// Paragraph draws body text indented by depth list levels.
func (d *Doc) Paragraph(runs []Run, depth int) {
	d.Text(runs, MarginX+float64(depth)*ListIndent, StyleBody, InkText, 0)
	d.y += 6
}

// Heading draws a sub-heading, kept with two lines of what follows.
func (d *Doc) Heading(runs []Run) {
	d.Space(6)
	d.Text(runs, MarginX, StyleH3, InkText, 2*StyleBody.Lead)
	d.y += 3
}

// Item draws a list item of nesting depth (from 1): its marker, then its
// text indented.
func (d *Doc) Item(marker string, runs []Run, depth int) {
	x := MarginX + float64(max(depth, 1))*ListIndent
	lines := d.Wrap(runs, StyleBody.Size, BodyW-(x-MarginX))
	if len(lines) == 0 {
		return
	}
	d.Need(float64(min(len(lines), 2)) * StyleBody.Lead)
	d.line([]Piece{{text: marker}}, x-ListIndent+2, StyleBody, InkText)
	d.Lines(lines, x, StyleBody, InkText, 0)
	d.y += 2
}

// Mark starts section ref here: an anchor the contents link to, and a
// bookmark titled title.
func (d *Doc) Mark(ref, title string) {
	d.add(op{kind: opMark, y: d.y, text: title, ref: ref})
	d.refs[ref] = len(d.pages)
}

// PageRef writes, right-aligned on the next lines of text (lines of body
// text), the page where section ref starts, and links them to it.
func (d *Doc) PageRef(ref string, lines int) {
	d.add(op{kind: opPageRef, size: StyleBody.Size, x: MarginX, y: d.y + (StyleBody.Lead-StyleBody.Size)/2 + ascent*StyleBody.Size,
		w: BodyW, h: float64(lines) * StyleBody.Lead, ref: ref})
}
