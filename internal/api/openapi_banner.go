package api

import "privaq/internal/inventory"

// bannerOps describes the cookie banner's configuration (SPEC §8), which
// integration tokens may read and change (SPEC §3).
func (b *builder) bannerOps(o string) {
	b.schemas["BannerSettings"] = object(nil, obj{
		"position":         str("enum", []string{inventory.BannerBottom, inventory.BannerCenter}),
		"background":       str("pattern", "^#[0-9a-fA-F]{6}$"),
		"text":             str("pattern", "^#[0-9a-fA-F]{6}$"),
		"accent":           str("pattern", "^#[0-9a-fA-F]{6}$"),
		"accent_text":      str("pattern", "^#[0-9a-fA-F]{6}$", "description", "Colours must keep WCAG 2.2 AA contrast: 4.5:1 for text, 3:1 for controls."),
		"reconsent_months": obj{"type": "integer", "minimum": 1, "maximum": inventory.MaxReconsentMonths},
		"allowed_origins": obj{"type": "array", "maxItems": inventory.MaxAllowedOrigins, "description": "Websites (scheme://host[:port]) that may send choices to POST /o/{org}/consent.",
			"items": str("format", "uri")},
		"policy_url": str("format", "uri", "description", "Where the banner's policy link goes; empty for the policy privaq publishes."),
	})
	b.schemas["Banner"] = object([]string{"revision", "script", "snippet", "asks", "categories", "purposes", "settings", "effective"}, obj{
		"revision": str("description", "Changes with anything the banner shows; visitors are asked again when it does."),
		"script":   str("format", "uri"),
		"snippet":  str("description", "The one script tag to add to every page of the website."),
		"asks":     obj{"type": "boolean", "description": "False when the inventory declares only necessary cookies: the banner then shows nothing."},
		"categories": obj{"type": "array", "description": "The categories the banner asks about.",
			"items": str("enum", []string{string(inventory.CookiePreferences), string(inventory.CookieStatistics), string(inventory.CookieMarketing)})},
		"purposes": obj{"type": "array", "description": "The ledger purposes the choices are recorded under, one per category: ask GET …/decisions?purpose= with the visitor id.",
			"items": str()},
		"settings":  ref("BannerSettings"),
		"effective": ref("BannerSettings"),
	})
	b.op("GET", o+"/banner", operation{id: "getBanner", summary: "Get the cookie banner's configuration and embed snippet", tag: "banner",
		status: 200, response: reply("The banner.", ref("Banner")), errors: []int{401, 404, 500}})
	b.op("PUT", o+"/banner", operation{id: "putBanner", summary: "Replace the cookie banner's settings", tag: "banner",
		body:   jsonBody(ref("BannerSettings")),
		status: 200, response: reply("The banner with its new revision.", ref("Banner")), errors: []int{400, 401, 403, 404, 413, 415, 422, 500}})
}
