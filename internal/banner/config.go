// Package banner serves an organization's cookie banner (SPEC §8): one
// hand-written vanilla script, banner.js, with the organization's
// configuration inlined, built from the cookies its inventory declares;
// and the public endpoint that records each visitor's choice in the
// consent ledger under an anonymous visitor id.
//
// The ledger mapping: a choice is one record per cookie category offered,
// with purpose "cookies.<category>" (consent.CookiePurpose), channel
// banner, mode express, given by the subject, the visitor id as subject,
// the policy version in effect, and as evidence the banner revision, the
// Global Privacy Control signal, the action (accept_all, refuse_all,
// custom, gpc) and the page's origin.
package banner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

// Content is what the banner shows and how it behaves, for one
// organization. Its JSON form is inlined in banner.js: the keys are one
// letter because every byte counts against the 8 KB budget.
type Content struct {
	// Revision is a short hash of everything else: any change to what the
	// banner shows gives a new revision, and visitors are asked again.
	Revision   string         `json:"r"`
	Org        string         `json:"n"`
	Endpoint   string         `json:"e"` // the consent endpoint, relative to the script's address
	Langs      []string       `json:"l"`
	Policy     inventory.Text `json:"u"` // the policy link per language, relative or absolute
	Position   string         `json:"p"`
	Colours    [4]string      `json:"c"` // background, text, accent, accent text
	Months     int            `json:"m"` // re-consent period
	Categories []Category     `json:"k"`
	// Origins may post choices besides privaq's own; not sent to
	// browsers.
	Origins []string `json:"-"`
}

// Category is a cookie category the inventory declares, with its
// services.
type Category struct {
	ID       inventory.CookieCategory `json:"id"`
	Services []Service                `json:"s"`
}

// Service is a service that sets cookies, and its cookies.
type Service struct {
	Name     string   `json:"n"`
	Provider string   `json:"p,omitempty"`
	Cookies  []Cookie `json:"c"`
}

// Cookie is one cookie as the banner lists it. Name may end with * for a
// family of cookies; the script deletes the first-party cookies of a
// category the visitor refuses by these names.
type Cookie struct {
	Name     string         `json:"n"`
	Purpose  inventory.Text `json:"u"`
	Duration inventory.Text `json:"d"`
}

// Optional lists the categories a visitor chooses: every one declared
// but necessary.
func (c *Content) Optional() []inventory.CookieCategory {
	var out []inventory.CookieCategory
	for _, k := range c.Categories {
		if k.ID != inventory.CookieNecessary {
			out = append(out, k.ID)
		}
	}
	return out
}

// Build derives the banner of an organization from its inventory. slug
// names the organization in privaq's addresses.
func Build(doc *inventory.Document, slug string) *Content {
	s := doc.Policy.Banner.Effective()
	c := &Content{Org: doc.Org.Name, Endpoint: "/o/" + slug + "/consent", Langs: []string{"fr"}, Position: s.Position,
		Colours: [4]string{s.Background, s.Text, s.Accent, s.AccentText}, Months: s.ReconsentMonths}
	if slices.Contains(doc.Org.Languages, "en") {
		c.Langs = append(c.Langs, "en")
	}
	// Texts only in the languages the organization publishes in: an
	// English page of a French-only organization gets the French banner.
	text := func(t inventory.Text) inventory.Text {
		if len(c.Langs) == 1 {
			t.EN = ""
		}
		return t
	}
	c.Policy = text(inventory.Text{FR: "/o/" + slug + "/privacy?lang=fr", EN: "/o/" + slug + "/privacy?lang=en"})
	if s.PolicyURL != "" {
		c.Policy = inventory.Text{FR: s.PolicyURL}
	}
	for _, cat := range consent.CookieCategories(doc) {
		k := Category{ID: cat}
		for _, ck := range doc.Cookies {
			if ck.Category != cat {
				continue
			}
			name := ck.Service
			if name == "" {
				name = ck.Provider
			}
			if name == "" {
				name = ck.Name
			}
			i := slices.IndexFunc(k.Services, func(s Service) bool { return s.Name == name && s.Provider == ck.Provider })
			if i < 0 {
				k.Services = append(k.Services, Service{Name: name, Provider: ck.Provider})
				i = len(k.Services) - 1
			}
			k.Services[i].Cookies = append(k.Services[i].Cookies, Cookie{Name: ck.Name, Purpose: text(ck.Purpose), Duration: text(duration(ck.Duration))})
		}
		c.Categories = append(c.Categories, k)
	}
	c.Revision = revision(c)
	c.Origins = slices.Clone(s.AllowedOrigins)
	if o := inventory.Origin(doc.Org.Website); o != "" && !slices.Contains(c.Origins, o) {
		c.Origins = append(c.Origins, o)
	}
	return c
}

// duration says how long a cookie lasts, as the policy does, except for
// session cookies, whose phrase in the policy reads badly after
// "Durée :".
func duration(d inventory.Duration) inventory.Text {
	if d == inventory.Session {
		return inventory.Text{FR: "session du navigateur", EN: "browser session"}
	}
	return inventory.Text{FR: policy.DurationText(d, "fr"), EN: policy.DurationText(d, "en")}
}

// revision hashes the configuration without its revision: 10 hex digits
// (40 bits) tell one organization's successive banners apart.
func revision(c *Content) string {
	cp := *c
	cp.Revision = ""
	b, _ := json.Marshal(&cp) // a struct of strings and ints always encodes
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}
