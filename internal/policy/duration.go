package policy

import "privaq/internal/inventory"

// DurationText writes a cookie's or a rule's duration in words in lang
// ("fr" or "en"), as the policy does: P13M is « 13 mois », session « la
// durée de la session ». The cookie banner uses it so that the banner and
// the policy say the same thing.
func DurationText(d inventory.Duration, lang string) string {
	c, ok := catalogs[lang]
	if !ok {
		c = catalogs["fr"]
	}
	return c.duration(d)
}
