package consent

import "privaq/internal/inventory"

// The cookie banner records its choices in the ledger like any other
// consent, under reserved pseudo-purposes named after the cookie
// categories: "cookies.statistics", "cookies.marketing",
// "cookies.preferences". Purpose keys are slugs and never hold a dot, so
// these cannot collide with the organization's own purposes; deriving
// them from the inventory means that the decisions API answers
// purpose=cookies.statistics exactly when the organization declares
// statistics cookies, and refuses it as an unknown purpose otherwise.

// CookiePrefix starts every cookie-category purpose.
const CookiePrefix = "cookies."

// CookiePurpose is the ledger purpose of a cookie category.
func CookiePurpose(c inventory.CookieCategory) string { return CookiePrefix + string(c) }

// CookieCategories lists, in the inventory's canonical order, the
// categories the inventory declares at least one cookie in.
func CookieCategories(d *inventory.Document) []inventory.CookieCategory {
	var out []inventory.CookieCategory
	for _, c := range []inventory.CookieCategory{inventory.CookieNecessary, inventory.CookiePreferences, inventory.CookieStatistics, inventory.CookieMarketing} {
		for _, k := range d.Cookies {
			if k.Category == c {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// addCookiePurposes adds the banner's pseudo-purposes to r. Necessary
// cookies are set without consent (Law 25, s. 8.1 covers only the
// technologies that identify, locate or profile): their purpose answers
// not_required. The others need the visitor's express choice, off by
// default.
func addCookiePurposes(r *Rules, d *inventory.Document) {
	for _, c := range CookieCategories(d) {
		if c == inventory.CookieNecessary {
			r.Purposes[CookiePurpose(c)] = inventory.ConsentNotRequired
		} else {
			r.Purposes[CookiePurpose(c)] = inventory.ConsentExpress
		}
	}
}
