package policy

import (
	"strings"

	"privaq/internal/inventory"
)

// M is the data given to a phrase.
type M = map[string]any

// builder writes one policy in one language.
type builder struct {
	d *inventory.Document
	c *catalog
	o Options
	// Positions of each collection's keys, so that sets of references
	// come out in the inventory's order.
	purposes, data, subjects, systems, recipients, rules map[string]int
}

func newBuilder(d *inventory.Document, c *catalog, o Options) *builder {
	b := &builder{d: d, c: c, o: o}
	b.purposes = index(d.Purposes, func(p *inventory.Purpose) string { return p.Key })
	b.data = index(d.DataCategories, func(x *inventory.DataCategory) string { return x.Key })
	b.subjects = index(d.SubjectCategories, func(x *inventory.SubjectCategory) string { return x.Key })
	b.systems = index(d.Systems, func(x *inventory.System) string { return x.Key })
	b.recipients = index(d.Recipients, func(x *inventory.Recipient) string { return x.Key })
	b.rules = index(d.RetentionRules, func(x *inventory.RetentionRule) string { return x.Key })
	return b
}

func index[T any](items []T, key func(*T) string) map[string]int {
	m := make(map[string]int, len(items))
	for i := range items {
		m[key(&items[i])] = i
	}
	return m
}

// set is a subset of a collection, by position.
type set []bool

func newSet(n int) set { return make(set, n) }

// add marks the items whose keys are given; unknown keys are ignored
// (validation reports them).
func (s set) add(idx map[string]int, keys ...string) {
	for _, k := range keys {
		if i, ok := idx[k]; ok {
			s[i] = true
		}
	}
}

// names lists the names of the items in s, in order.
func (s set) names(name func(i int) string) []string {
	var out []string
	for i, in := range s {
		if in {
			out = append(out, name(i))
		}
	}
	return out
}

func (s set) count() int {
	n := 0
	for _, in := range s {
		if in {
			n++
		}
	}
	return n
}

// Names of inventory items in the policy's language.
func (b *builder) purposeName(i int) string  { return b.c.text(b.d.Purposes[i].Name) }
func (b *builder) dataName(i int) string     { return b.c.text(b.d.DataCategories[i].Name) }
func (b *builder) subjectName(i int) string  { return b.c.text(b.d.SubjectCategories[i].Name) }
func (b *builder) activityName(i int) string { return b.c.text(b.d.Activities[i].Name) }
func (b *builder) systemName(i int) string   { return b.c.tidy(b.d.Systems[i].Name) }
func (b *builder) recipientName(i int) string {
	return b.c.tidy(b.d.Recipients[i].Name)
}

// activitiesWhere lists the names of the activities for which keep is true.
func (b *builder) activitiesWhere(keep func(a *inventory.Activity) bool) []string {
	var out []string
	for i := range b.d.Activities {
		if keep(&b.d.Activities[i]) {
			out = append(out, b.activityName(i))
		}
	}
	return out
}

// orDash stands in for an empty table cell.
func (b *builder) orDash(s string) string {
	if s = b.c.tidy(s); s == "" {
		return "—"
	}
	return s
}

// cell enumerates names in a table cell, separated by commas only: a cell
// is read as a list, and names may contain "et" or "and" themselves.
func (b *builder) cell(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	return strings.Join(names, ", ")
}

// url is a public URL of the organization's pages on privaq.
func (b *builder) url(path string) string {
	return b.o.BaseURL + "/o/" + b.o.Org + path
}

// sec collects the blocks of one section.
type sec struct {
	Section
	c *catalog
}

func (b *builder) section(id string) *sec {
	return &sec{Section: Section{ID: id, Heading: b.c.say("h."+id, nil)}, c: b.c}
}

// p adds the paragraph phrase name says about data, unless it is empty.
func (s *sec) p(name string, data any) { s.para(s.c.say(name, data)) }

func (s *sec) para(text string) {
	if text != "" {
		s.Blocks = append(s.Blocks, Block{Kind: KindParagraph, Text: text})
	}
}

// h adds a sub-heading.
func (s *sec) h(name string, data any) {
	s.Blocks = append(s.Blocks, Block{Kind: KindHeading, Text: s.c.say(name, data)})
}

func (s *sec) list(items []Item) {
	if len(items) > 0 {
		s.Blocks = append(s.Blocks, Block{Kind: KindList, Items: items})
	}
}

// table adds a table whose caption and column headers are phrases:
// caption, then head.1, head.2… as many as the rows have cells.
func (s *sec) table(caption string, captionData any, head string, rows [][]string, rowHeads bool) {
	if len(rows) == 0 {
		return
	}
	t := &Table{Caption: s.c.say(caption, captionData), Rows: rows, RowHeads: rowHeads}
	t.Head = strings.Split(s.c.say(head, nil), " | ")
	s.Blocks = append(s.Blocks, Block{Kind: KindTable, Table: t})
}

func (b *builder) build() (*Policy, error) {
	c := b.c
	p := &Policy{
		Lang:     c.lang,
		OrgName:  c.tidy(b.d.Org.Name),
		Version:  b.o.Version,
		Draft:    b.o.EffectiveAt.IsZero(),
		Title:    c.say("title", M{"Org": c.tidy(b.d.Org.Name)}),
		Contents: c.say("h.contents", nil),
	}
	status := M{"Version": b.o.Version, "Date": ""}
	if !p.Draft {
		t := b.o.EffectiveAt
		p.EffectiveAt = &t
		status["Date"] = c.date(t)
	}
	p.Status = c.say("status", status)
	p.Summary = b.summary()
	for _, f := range []func() *sec{b.who, b.collect, b.purposesSection, b.how, b.sharing,
		b.retention, b.security, b.rights, b.incidents, b.minors, b.changes, b.contact} {
		s := f()
		if md := b.d.Policy.Paragraph(s.ID, c.lang); strings.TrimSpace(md) != "" {
			blk, err := extraBlock(md, c)
			if err != nil {
				return nil, err
			}
			s.Blocks = append(s.Blocks, blk)
		}
		p.Sections = append(p.Sections, s.Section)
	}
	return p, nil
}
