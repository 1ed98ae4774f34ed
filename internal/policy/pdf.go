package policy

// PDF lays the policy out with package pdfdoc: title, status, summary
// table, contents with page numbers, then the sections and their blocks.
// The officer's own text is read back from its sanitized HTML in
// pdf_extra.go.

import (
	"io"
	"strings"

	"privaq/internal/pdfdoc"
)

// PDF writes the policy as an A4 PDF with its fonts embedded, for people
// who want it on paper or as a file that reads the same everywhere. Two
// calls on the same policy write the same bytes, so a published version's
// PDF can be cached or compared.
func (p *Policy) PDF(w io.Writer) error {
	d, err := pdfdoc.New()
	if err != nil {
		return err
	}
	d.Runs = pdfRuns
	sep := ": "
	if c, ok := catalogs[p.Lang]; ok {
		sep = c.raw("word.sep", nil)
	}
	l := &pdfLayout{d: d, sep: sep}
	l.policy(p)
	// The effective date, as the creation date, keeps the bytes
	// reproducible.
	info := pdfdoc.Info{Title: p.Title, Author: p.OrgName, Footer: "Page %d of %d"}
	if p.Lang == "fr" {
		info.Footer = "Page %d sur %d"
	}
	if p.EffectiveAt != nil {
		info.Created = *p.EffectiveAt
	}
	return d.Write(w, info)
}

// pdfLayout places the policy's parts on the document's pages.
type pdfLayout struct {
	d   *pdfdoc.Doc
	sep string
}

func (l *pdfLayout) policy(p *Policy) {
	d := l.d
	body := pdfdoc.StyleBody
	d.Text(pdfRuns(p.Title, true), pdfdoc.MarginX, pdfdoc.StyleTitle, pdfdoc.InkText, 0)
	d.Gap(2)
	d.Text(pdfRuns(p.Status, false), pdfdoc.MarginX, body, pdfdoc.InkMuted, 0)
	d.Gap(8)
	d.Table(pdfTable(&p.Summary))
	if len(p.Sections) > 0 {
		d.Space(10)
		d.Text(pdfRuns(p.Contents, true), pdfdoc.MarginX, pdfdoc.StyleH2, pdfdoc.InkText, 3*body.Lead)
		d.Gap(4)
		for _, s := range p.Sections {
			lines := d.Wrap(pdfRuns(s.Heading, false), body.Size, pdfdoc.BodyW-36)
			d.Need(float64(len(lines)) * body.Lead)
			if len(lines) > 0 {
				d.PageRef(s.ID, len(lines))
			}
			d.Lines(lines, pdfdoc.MarginX, body, pdfdoc.InkText, 0)
			d.Gap(2)
		}
	}
	for _, s := range p.Sections {
		d.Space(18)
		lines := d.Wrap(pdfRuns(s.Heading, true), pdfdoc.StyleH2.Size, pdfdoc.BodyW)
		keep := 3 * body.Lead
		d.Need(float64(min(len(lines), 2))*pdfdoc.StyleH2.Lead + keep)
		title := s.Heading
		if title == "" {
			title = s.ID
		}
		d.Mark(s.ID, title)
		d.Lines(lines, pdfdoc.MarginX, pdfdoc.StyleH2, pdfdoc.InkText, keep)
		d.Gap(4)
		for _, b := range s.Blocks {
			l.block(b)
		}
	}
}

func (l *pdfLayout) block(b Block) {
	d := l.d
	switch b.Kind {
	case KindParagraph:
		d.Paragraph(pdfRuns(b.Text, false), 0)
	case KindHeading:
		d.Heading(pdfRuns(b.Text, true))
	case KindList:
		for _, it := range b.Items {
			var runs []pdfdoc.Run
			if it.Term != "" {
				runs = append(pdfRuns(it.Term, true), pdfdoc.Run{Text: l.sep})
			}
			d.Item("•", append(runs, pdfRuns(it.Text, false)...), 1)
		}
		d.Gap(4)
	case KindTable:
		if b.Table != nil {
			d.Table(pdfTable(b.Table))
		}
	case KindMarkdown:
		l.extra(b)
	}
}

func pdfTable(t *Table) *pdfdoc.Table {
	return &pdfdoc.Table{Caption: t.Caption, Head: t.Head, Rows: t.Rows, RowHeads: t.RowHeads}
}

// pdfRuns is plain text with its web and email addresses as links.
// Paths of this instance stay text: the policy does not know its host.
func pdfRuns(s string, bold bool) []pdfdoc.Run {
	var rs []pdfdoc.Run
	for _, sp := range spans(s) {
		href := sp.href
		if strings.HasPrefix(href, "/") {
			href = ""
		}
		rs = append(rs, pdfdoc.Run{Text: sp.text, Bold: bold, Href: href})
	}
	return rs
}
