package policy

// The officer's own paragraphs reach the PDF as the HTML that extra.go
// sanitized; reading that HTML back into runs lives apart from the layout.

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"privaq/internal/pdfdoc"
)

// extraPart is a paragraph, heading or list item of the officer's text.
type extraPart struct {
	kind   string // KindParagraph, KindHeading or KindList for an item
	marker string
	depth  int // list nesting
	runs   []pdfdoc.Run
}

// extra draws the officer's text from its sanitized HTML, which has lost
// what the Markdown should not bring (raw HTML, unsafe links).
func (l *pdfLayout) extra(b Block) {
	for _, pt := range extraParts(b.HTML) {
		switch pt.kind {
		case KindHeading:
			l.d.Heading(pt.runs)
		case KindList:
			l.d.Item(pt.marker, pt.runs, pt.depth)
		default:
			l.d.Paragraph(pt.runs, pt.depth)
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
			if strings.TrimSpace(r.Text) != "" {
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
						cur.runs = append(cur.runs, pdfdoc.Run{Break: true})
					}
					cur.runs = append(cur.runs, pdfdoc.Run{Text: strings.ReplaceAll(ln, " ", "\u00a0"), Bold: bold > 0, Href: href})
				}
				continue
			}
			cur.runs = append(cur.runs, pdfdoc.Run{Text: htmlSpace.Replace(tok.Data), Bold: bold > 0, Href: href})
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
				cur.runs = append(cur.runs, pdfdoc.Run{Break: true})
			case atom.Td, atom.Th:
				cur.runs = append(cur.runs, pdfdoc.Run{Text: " "})
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
