package policy

import (
	"bufio"
	"encoding/json"
	"html"
	"io"
	"regexp"
	"strings"
)

// linkRE finds the web addresses, public privaq paths and email addresses
// in plain text, so that the writers can make them links.
var linkRE = regexp.MustCompile(`https?://[^\s<>"«»]+|\B/o/[a-z0-9_-]+/[^\s<>"«»]*|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// span is a piece of text, a link when href is set.
type span struct{ text, href string }

// spans cuts text into plain pieces and links. Punctuation that ends a
// sentence is not part of an address.
func spans(text string) []span {
	if !strings.Contains(text, "@") && !strings.Contains(text, "/") {
		return []span{{text: text}}
	}
	var out []span
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)’"))
		if start > last {
			out = append(out, span{text: text[last:start]})
		}
		addr := text[start:end]
		href := addr
		if strings.Contains(addr, "@") && !strings.Contains(addr, "/") {
			href = "mailto:" + addr
		}
		out = append(out, span{text: addr, href: href})
		last = end
	}
	if last < len(text) {
		out = append(out, span{text: text[last:]})
	}
	return out
}

// JSON writes the policy as indented JSON.
func (p *Policy) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// HTML writes the policy as an accessible HTML fragment: one <article>
// with the title, the summary table, a table of contents and a <section>
// per part. It has no script and no style, so any page can embed it under
// a strict Content-Security-Policy.
func (p *Policy) HTML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	h := htmlWriter{bw}
	h.raw(`<article class="privaq-policy" lang="` + p.Lang + `">` + "\n<header>\n<h1>")
	h.text(p.Title)
	h.raw("</h1>\n<p>")
	h.text(p.Status)
	h.raw("</p>\n</header>\n")
	h.table(&p.Summary)
	h.raw(`<nav aria-labelledby="` + contentsID + `"><h2 id="` + contentsID + `">`)
	h.text(p.Contents)
	h.raw("</h2>\n<ol>\n")
	for _, s := range p.Sections {
		h.raw(`<li><a href="#` + s.ID + `">`)
		h.text(s.Heading)
		h.raw("</a></li>\n")
	}
	h.raw("</ol>\n</nav>\n")
	sep := catalogs[p.Lang].raw("word.sep", nil)
	for _, s := range p.Sections {
		h.raw(`<section id="` + s.ID + `" aria-labelledby="` + s.ID + `-title">` + "\n")
		h.raw(`<h2 id="` + s.ID + `-title">`)
		h.text(s.Heading)
		h.raw("</h2>\n")
		for _, b := range s.Blocks {
			h.block(b, sep)
		}
		h.raw("</section>\n")
	}
	h.raw("</article>\n")
	return bw.Flush()
}

type htmlWriter struct{ w *bufio.Writer }

func (h htmlWriter) raw(s string) { h.w.WriteString(s) }

func (h htmlWriter) esc(s string) { h.w.WriteString(html.EscapeString(s)) }

// text writes plain text escaped, with its addresses as links.
func (h htmlWriter) text(s string) {
	for _, sp := range spans(s) {
		if sp.href == "" {
			h.esc(sp.text)
			continue
		}
		h.raw(`<a href="`)
		h.esc(sp.href)
		h.raw(`">`)
		h.esc(sp.text)
		h.raw("</a>")
	}
}

func (h htmlWriter) block(b Block, sep string) {
	switch b.Kind {
	case KindParagraph:
		h.raw("<p>")
		h.text(b.Text)
		h.raw("</p>\n")
	case KindHeading:
		h.raw("<h3>")
		h.text(b.Text)
		h.raw("</h3>\n")
	case KindList:
		h.raw("<ul>\n")
		for _, it := range b.Items {
			h.raw("<li>")
			if it.Term != "" {
				h.raw("<strong>")
				h.text(it.Term)
				h.raw("</strong>")
				h.esc(sep)
			}
			h.text(it.Text)
			h.raw("</li>\n")
		}
		h.raw("</ul>\n")
	case KindTable:
		h.table(b.Table)
	case KindMarkdown:
		h.raw(`<div class="privaq-extra">` + "\n" + b.HTML + "\n</div>\n")
	}
}

func (h htmlWriter) table(t *Table) {
	h.raw("<table>\n<caption>")
	h.text(t.Caption)
	h.raw("</caption>\n<thead>\n<tr>")
	for _, c := range t.Head {
		h.raw(`<th scope="col">`)
		h.text(c)
		h.raw("</th>")
	}
	h.raw("</tr>\n</thead>\n<tbody>\n")
	for _, row := range t.Rows {
		h.raw("<tr>")
		for i, c := range row {
			if i == 0 && t.RowHeads {
				h.raw(`<th scope="row">`)
				h.text(c)
				h.raw("</th>")
				continue
			}
			h.raw("<td>")
			h.text(c)
			h.raw("</td>")
		}
		h.raw("</tr>\n")
	}
	h.raw("</tbody>\n</table>\n")
}

// Markdown writes the policy as CommonMark with pipe tables, for review,
// diffs and e-mail.
func (p *Policy) Markdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	m := mdWriter{bw}
	m.raw("# ")
	m.text(p.Title)
	m.raw("\n\n")
	m.text(p.Status)
	m.raw("\n\n")
	m.table(&p.Summary)
	sep := catalogs[p.Lang].raw("word.sep", nil)
	for _, s := range p.Sections {
		m.raw("## ")
		m.text(s.Heading)
		m.raw("\n\n")
		for _, b := range s.Blocks {
			m.block(b, sep)
		}
	}
	return bw.Flush()
}

type mdWriter struct{ w *bufio.Writer }

func (m mdWriter) raw(s string) { m.w.WriteString(s) }

// mdEscaper escapes the characters that Markdown could read as markup;
// the pipe is escaped too, for table cells.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`, "\n", " ")

// text writes plain text escaped, with its addresses as autolinks.
func (m mdWriter) text(s string) {
	for _, sp := range spans(s) {
		if sp.href == "" || strings.HasPrefix(sp.href, "/") {
			m.raw(mdEscaper.Replace(sp.text))
			continue
		}
		m.raw("<" + sp.text + ">")
	}
}

func (m mdWriter) block(b Block, sep string) {
	switch b.Kind {
	case KindParagraph:
		m.text(b.Text)
		m.raw("\n\n")
	case KindHeading:
		m.raw("### ")
		m.text(b.Text)
		m.raw("\n\n")
	case KindList:
		for _, it := range b.Items {
			m.raw("- ")
			if it.Term != "" {
				m.raw("**")
				m.text(it.Term)
				m.raw("**" + sep)
			}
			m.text(it.Text)
			m.raw("\n")
		}
		m.raw("\n")
	case KindTable:
		m.table(b.Table)
	case KindMarkdown:
		m.raw(b.Markdown + "\n\n")
	}
}

func (m mdWriter) table(t *Table) {
	m.raw("**")
	m.text(t.Caption)
	m.raw("**\n\n|")
	for _, c := range t.Head {
		m.raw(" ")
		m.text(c)
		m.raw(" |")
	}
	m.raw("\n|" + strings.Repeat(" --- |", len(t.Head)) + "\n")
	for _, row := range t.Rows {
		m.raw("|")
		for _, c := range row {
			m.raw(" ")
			m.text(c)
			m.raw(" |")
		}
		m.raw("\n")
	}
	m.raw("\n")
}
