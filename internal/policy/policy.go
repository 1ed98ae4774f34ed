// Package policy writes an organization's privacy policy from its inventory
// (SPEC §6), in French and in English. Every sentence comes from the
// per-language templates in templates/ filled with the inventory's data;
// the officer may add a Markdown paragraph per section, which is sanitized.
//
// Render builds a structured Policy (title, summary table, sections of
// paragraphs, lists and tables); the Policy then writes itself as HTML,
// Markdown or JSON. The output depends only on the inventory and the
// options, in the inventory's order, so two renders of the same input are
// byte-for-byte equal and versions can be compared.
package policy

import (
	"fmt"
	"time"

	"privaq"
	"privaq/internal/inventory"
)

// Options are what the policy needs beyond the inventory.
type Options struct {
	Org         string    // organization slug, for public URLs
	BaseURL     string    // public URL of the instance, without a trailing slash
	Version     int       // version number; 0 for a draft not yet numbered
	EffectiveAt time.Time // zero for a draft
}

// Section IDs, in the order of SPEC §6. They are the HTML anchors and are
// the same in every language, so links to a section survive a translation.
const (
	SecWho       = "who-we-are"
	SecCollect   = "what-we-collect"
	SecPurposes  = "purposes"
	SecHow       = "how-we-collect"
	SecSharing   = "sharing"
	SecRetention = "retention"
	SecSecurity  = "security"
	SecRights    = "rights"
	SecIncidents = "incidents"
	SecMinors    = "minors"
	SecChanges   = "changes"
	SecContact   = "contact"
	summaryID    = "summary"
	contentsID   = "contents"
)

// SectionIDs lists the sections of every policy, in order. The inventory
// owns the list, since the officer's paragraphs name sections.
var SectionIDs = inventory.PolicySections

// Policy is a rendered privacy policy in one language.
type Policy struct {
	Lang        string     `json:"lang"`
	Title       string     `json:"title"`
	OrgName     string     `json:"org_name"`
	Version     int        `json:"version,omitempty"`
	Draft       bool       `json:"draft"`
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
	// Status is the line under the title: version and effective date, or
	// the mention that this is a draft.
	Status   string    `json:"status"`
	Summary  Table     `json:"summary"`
	Contents string    `json:"contents_heading"`
	Sections []Section `json:"sections"`
}

// Section is one titled part of the policy.
type Section struct {
	ID      string  `json:"id"`
	Heading string  `json:"heading"`
	Blocks  []Block `json:"blocks"`
}

// Block kinds.
const (
	KindParagraph = "paragraph"
	KindHeading   = "heading" // a sub-heading inside a section
	KindList      = "list"
	KindTable     = "table"
	KindMarkdown  = "markdown" // the officer's own text
)

// Block is one paragraph, sub-heading, list, table or officer's text.
// Text is plain text: the writers escape it and turn web and email
// addresses into links.
type Block struct {
	Kind  string `json:"kind"`
	Text  string `json:"text,omitempty"`
	Items []Item `json:"items,omitempty"`
	Table *Table `json:"table,omitempty"`
	// Markdown and HTML are the officer's text as written and as
	// sanitized HTML.
	Markdown string `json:"markdown,omitempty"`
	HTML     string `json:"html,omitempty"`
}

// Item is one entry of a list: an optional term shown in bold, then text.
type Item struct {
	Term string `json:"term,omitempty"`
	Text string `json:"text"`
}

// Table is a table with one header row. When RowHeads is set, each row's
// first cell is the header of its row.
type Table struct {
	Caption  string     `json:"caption"`
	Head     []string   `json:"head"`
	Rows     [][]string `json:"rows"`
	RowHeads bool       `json:"row_heads,omitempty"`
}

// Render writes the policy of doc in lang ("fr" or "en").
func Render(doc *inventory.Document, lang string, opts Options) (*Policy, error) {
	c, ok := catalogs[lang]
	if !ok {
		return nil, &privaq.Error{Code: privaq.EValidation, Field: "lang",
			Message: fmt.Sprintf("the policy language must be fr or en, not %q", lang)}
	}
	b := newBuilder(doc, c, opts)
	return b.build()
}

// SectionHeading returns the heading of section id in lang, for pages
// that name sections outside a rendered policy.
func SectionHeading(id, lang string) string {
	c, ok := catalogs[lang]
	if !ok {
		c = catalogs["fr"]
	}
	return c.say("h."+id, nil)
}
