package policy

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op says where a piece of text is: in both versions, only in the newer
// one, or only in the older one.
type Op string

// Ops of a diff.
const (
	OpEqual   Op = "equal"
	OpAdded   Op = "added"
	OpRemoved Op = "removed"
)

// UnitKind is what a unit of a diff was in the policy.
type UnitKind string

// Unit kinds: a paragraph is cut into sentences, while a sub-heading, a
// list item, a table caption, a table's header row and each of its rows
// are units of their own.
const (
	UnitSentence UnitKind = "sentence"
	UnitHeading  UnitKind = "heading"
	UnitItem     UnitKind = "item"
	UnitCaption  UnitKind = "caption"
	UnitHead     UnitKind = "head"
	UnitRow      UnitKind = "row"
)

// CellSep joins the cells of a table row into one unit of text.
const CellSep = " · "

// Unit is one sentence, sub-heading, list item or table row of a diff.
type Unit struct {
	Op   Op       `json:"op"`
	Kind UnitKind `json:"kind"`
	Text string   `json:"text"`
}

// SectionDiff is what changed in one section between two versions. Op is
// equal for a section both versions have, added or removed for a section
// only one has. Changed is false when the section reads the same in both.
type SectionDiff struct {
	ID      string `json:"id"`
	Heading string `json:"heading"`
	Op      Op     `json:"op"`
	Changed bool   `json:"changed"`
	Units   []Unit `json:"units"`
}

// Diff compares two renderings of a policy, in the same language, so that
// anyone can see what a new version changes (P 8.2: people are told of
// changes). The summary table comes first, under the ID "summary", then
// the sections by ID in the order of to; a section only from has is shown
// as removed where it stood. Within a section, units of text are compared
// as lines, so a changed sentence reads as the old one removed and the new
// one added. The result depends only on the two policies.
func Diff(from, to *Policy) []SectionDiff {
	a, b := diffSections(from), diffSections(to)
	inB := make(map[string]bool, len(b))
	for _, s := range b {
		inB[s.id] = true
	}
	inA := make(map[string]int, len(a))
	// after holds the sections only from has, by the ID of the section
	// both have that precedes them in from ("" for the start).
	after := map[string][]int{}
	prev := ""
	for i, s := range a {
		if _, dup := inA[s.id]; dup {
			continue
		}
		inA[s.id] = i
		if inB[s.id] {
			prev = s.id
			continue
		}
		after[prev] = append(after[prev], i)
	}
	out := make([]SectionDiff, 0, len(a)+len(b))
	removed := func(id string) {
		for _, i := range after[id] {
			out = append(out, wholeSection(a[i], OpRemoved))
		}
		delete(after, id)
	}
	removed("")
	seen := make(map[string]bool, len(b))
	for _, s := range b {
		if seen[s.id] {
			continue
		}
		seen[s.id] = true
		i, ok := inA[s.id]
		if !ok {
			out = append(out, wholeSection(s, OpAdded))
			continue
		}
		units := diffUnits(a[i].units, s.units)
		d := SectionDiff{ID: s.id, Heading: s.heading, Op: OpEqual, Units: units}
		for _, u := range units {
			if u.Op != OpEqual {
				d.Changed = true
				break
			}
		}
		out = append(out, d)
		removed(s.id)
	}
	return out
}

// unitSection is a section cut into units, before comparison.
type unitSection struct {
	id, heading string
	units       []Unit
}

func wholeSection(s unitSection, op Op) SectionDiff {
	units := make([]Unit, len(s.units))
	for i, u := range s.units {
		u.Op = op
		units[i] = u
	}
	return SectionDiff{ID: s.id, Heading: s.heading, Op: op, Changed: true, Units: units}
}

// diffSections cuts the summary and every section of p into units.
func diffSections(p *Policy) []unitSection {
	if p == nil {
		return nil
	}
	sep := ": "
	if c, ok := catalogs[p.Lang]; ok {
		sep = c.raw("word.sep", nil)
	}
	var out []unitSection
	if len(p.Summary.Rows) > 0 {
		out = append(out, unitSection{id: summaryID, heading: p.Summary.Caption, units: tableUnits(nil, &p.Summary, false)})
	}
	for _, s := range p.Sections {
		var units []Unit
		for _, b := range s.Blocks {
			units = blockUnits(units, b, sep)
		}
		out = append(out, unitSection{id: s.ID, heading: s.Heading, units: units})
	}
	return out
}

func blockUnits(units []Unit, b Block, sep string) []Unit {
	add := func(kind UnitKind, text string) {
		if text = oneLine(text); text != "" {
			units = append(units, Unit{Op: OpEqual, Kind: kind, Text: text})
		}
	}
	switch b.Kind {
	case KindParagraph:
		for _, s := range sentences(b.Text) {
			add(UnitSentence, s)
		}
	case KindHeading:
		add(UnitHeading, b.Text)
	case KindList:
		for _, it := range b.Items {
			if it.Term != "" {
				add(UnitItem, it.Term+sep+it.Text)
			} else {
				add(UnitItem, it.Text)
			}
		}
	case KindTable:
		if b.Table != nil {
			units = tableUnits(units, b.Table, true)
		}
	case KindMarkdown:
		for _, para := range strings.Split(plainText(b.HTML), "\n") {
			for _, s := range sentences(para) {
				add(UnitSentence, s)
			}
		}
	}
	return units
}

// tableUnits cuts a table into its caption, unless the caption is already
// the section's heading, its header row and its rows.
func tableUnits(units []Unit, t *Table, caption bool) []Unit {
	add := func(kind UnitKind, text string) {
		if text = oneLine(text); text != "" {
			units = append(units, Unit{Op: OpEqual, Kind: kind, Text: text})
		}
	}
	if caption {
		add(UnitCaption, t.Caption)
	}
	add(UnitHead, strings.Join(t.Head, CellSep))
	for _, row := range t.Rows {
		add(UnitRow, strings.Join(row, CellSep))
	}
	return units
}

// oneLine collapses runs of white space, line breaks included, so that a
// unit is one line for the line diff.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

var (
	// blockEndRE finds the ends of blocks in the officer's sanitized HTML.
	blockEndRE = regexp.MustCompile(`(?i)<br\s*/?>|</(?:p|li|h[1-6]|blockquote|pre|tr|div)>`)
	tagRE      = regexp.MustCompile(`<[^>]*>`)
)

// plainText turns the officer's sanitized HTML into plain text, one block
// a line.
func plainText(h string) string {
	h = blockEndRE.ReplaceAllString(strings.ReplaceAll(h, "\n", " "), "\n")
	return html.UnescapeString(tagRE.ReplaceAllString(h, ""))
}

// abbreviations end with a period that does not end a sentence, in French
// or English; single letters ("c.", "M.", "p. ex.") are abbreviations too.
var abbreviations = map[string]bool{
	"art": true, "al": true, "ex": true, "inc": true, "ltée": true, "ltd": true, "co": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "ste": true, "mme": true, "me": true,
	"no": true, "vs": true, "cf": true, "e.g": true, "i.e": true, "p.ex": true, "ch": true, "r": true,
}

// sentences cuts a paragraph into sentences: after ".", "?", "!" or "…"
// (and any closing quote or bracket), followed by a space, and before a
// capital letter, a digit or an opening quote. A period after a single
// letter or a common abbreviation ("art.", "p. ex.") does not cut. It is
// meant for privaq's own phrases: a sentence cut too little only makes a
// coarser diff.
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r != '.' && r != '?' && r != '!' && r != '…' {
			continue
		}
		end := i
		for end < len(text) {
			c, n := utf8.DecodeRuneInString(text[end:])
			if !strings.ContainsRune(`"'»”’)]`, c) {
				break
			}
			end += n
		}
		next := end
		for next < len(text) {
			c, n := utf8.DecodeRuneInString(text[next:])
			if c != ' ' && c != '\u00a0' && c != '\u202f' && c != '\n' && c != '\t' {
				break
			}
			next += n
		}
		if next == end || next == len(text) {
			continue // no space after: "example.org", "3.5", or the end
		}
		c, _ := utf8.DecodeRuneInString(text[next:])
		if !unicode.IsUpper(c) && !unicode.IsDigit(c) && !strings.ContainsRune(`«“"(`, c) {
			continue
		}
		if r == '.' && abbreviation(text[start:i-size]) {
			continue
		}
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start, i = next, next
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// abbreviation reports whether the word that ends s, just before a
// period, is an abbreviation.
func abbreviation(s string) bool {
	w := s
	if k := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' }); k >= 0 {
		_, n := utf8.DecodeRuneInString(s[k:])
		w = s[k+n:]
	}
	if w == "" {
		return false
	}
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsLetter(r)
	}
	return abbreviations[strings.ToLower(w)]
}

// diffUnits compares two sequences of units with a line diff: each unit,
// its kind included, becomes one line, and go-diff compares the lines as
// characters. The diff runs without a deadline, so that the result does
// not depend on the machine's speed.
func diffUnits(a, b []Unit) []Unit {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ca, cb, lines := dmp.DiffLinesToChars(joinUnits(a), joinUnits(b))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	out := make([]Unit, 0, max(len(a), len(b)))
	i, j := 0, 0
	for _, d := range diffs {
		n := strings.Count(d.Text, "\n")
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			for k := range n {
				u := b[j+k]
				u.Op = OpEqual
				out = append(out, u)
			}
			i, j = i+n, j+n
		case diffmatchpatch.DiffDelete:
			for k := range n {
				u := a[i+k]
				u.Op = OpRemoved
				out = append(out, u)
			}
			i += n
		case diffmatchpatch.DiffInsert:
			for k := range n {
				u := b[j+k]
				u.Op = OpAdded
				out = append(out, u)
			}
			j += n
		}
	}
	slide(out)
	return out
}

// slide moves each run of added (or removed) units that equal units
// around it let move, so that it starts at a sub-heading or a table's
// caption when it can: a new purpose then reads as its heading and its
// sentences, not as the end of the purpose before it followed by the
// start of the new one. Either way the two versions read back the same.
func slide(units []Unit) {
	same := func(a, b Unit) bool { return a.Kind == b.Kind && a.Text == b.Text }
	starts := func(u Unit) bool { return u.Kind == UnitHeading || u.Kind == UnitCaption }
	for i := 0; i < len(units); {
		if units[i].Op == OpEqual {
			i++
			continue
		}
		op, j := units[i].Op, i
		for j < len(units) && units[j].Op == op {
			j++
		}
		if (j < len(units) && units[j].Op != OpEqual) || (i > 0 && units[i-1].Op != OpEqual) {
			// A unit replaced by another: nothing to slide. Skip the hunk.
			for j < len(units) && units[j].Op != OpEqual {
				j++
			}
			i = j
			continue
		}
		n := j - i
		top := i
		for top > 0 && units[top-1].Op == OpEqual && same(units[top-1], units[top+n-1]) {
			top--
		}
		best, bestScore := top, -1
		for p := top; ; p++ {
			score := 0
			if starts(units[p]) {
				score += 2
			}
			if p+n == len(units) || starts(units[p+n]) {
				score++
			}
			if score > bestScore {
				best, bestScore = p, score
			}
			if p+n >= len(units) || units[p+n].Op != OpEqual || !same(units[p], units[p+n]) {
				break
			}
		}
		for k := top; k < max(i, best)+n; k++ {
			units[k].Op = OpEqual
		}
		for k := best; k < best+n; k++ {
			units[k].Op = op
		}
		i = best + n
	}
}

// joinUnits writes one line per unit; the kind is part of the line, so a
// sub-heading never matches a sentence with the same words.
func joinUnits(units []Unit) string {
	n := 0
	for _, u := range units {
		n += len(u.Kind) + len(u.Text) + 2
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, u := range units {
		sb.WriteString(string(u.Kind))
		sb.WriteByte('\t')
		sb.WriteString(u.Text)
		sb.WriteByte('\n')
	}
	return sb.String()
}
