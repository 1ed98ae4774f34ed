package policy

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The officer's own paragraphs are Markdown. goldmark drops raw HTML and
// dangerous links by default; bluemonday then keeps only the tags user
// content may have, so nothing in them can run a script on the public page.
var (
	markdown = goldmark.New(goldmark.WithParserOptions(
		parser.WithASTTransformers(util.Prioritized(demoteHeadings{}, 100))))
	sanitizer = bluemonday.UGCPolicy()
)

// unsafeLinkRE finds Markdown link targets with a scheme that can run code.
var unsafeLinkRE = regexp.MustCompile(`(?i)\]\(\s*(?:javascript|vbscript|data|file):(?:[^()\s]|\([^()]*\))*\)`)

// demoteHeadings makes the officer's headings sub-headings of the section
// (h3 and below), so the outline of the page stays right.
type demoteHeadings struct{}

func (demoteHeadings) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+2, 6)
		}
		return ast.WalkContinue, nil
	})
}

// extraBlock turns the officer's Markdown into a block: sanitized HTML for
// pages, and Markdown made safe for the Markdown output (raw HTML escaped,
// headings demoted the same way).
func extraBlock(src string, c *catalog) (Block, error) {
	src = strings.ReplaceAll(strings.TrimSpace(src), "\r\n", "\n")
	if c.typo != nil {
		src = frenchSpacing(c.typo.Replace(src))
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return Block{}, err
	}
	html := strings.TrimSpace(sanitizer.Sanitize(buf.String()))
	safe := unsafeLinkRE.ReplaceAllString(strings.ReplaceAll(src, "<", "&lt;"), "](#)")
	lines := strings.Split(safe, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			level := len(l) - len(strings.TrimLeft(l, "#"))
			lines[i] = strings.Repeat("#", min(level+2, 6)) + l[level:]
		}
	}
	return Block{Kind: KindMarkdown, Markdown: strings.Join(lines, "\n"), HTML: html}, nil
}
