package api

import (
	"errors"
	"net/http"
	"strings"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// bannerJSON is the cookie banner as a website's developer needs it: what
// to paste, whether it asks anything, and its settings (SPEC §8).
type bannerJSON struct {
	Revision   string                     `json:"revision"`
	Script     string                     `json:"script"`
	Snippet    string                     `json:"snippet"`
	Asks       bool                       `json:"asks"`
	Categories []inventory.CookieCategory `json:"categories"`
	Purposes   []string                   `json:"purposes"`
	Settings   inventory.BannerSettings   `json:"settings"`
	Effective  inventory.BannerSettings   `json:"effective"`
}

func (a *API) bannerView(doc *inventory.Document, slug string) bannerJSON {
	c := banner.Build(doc, slug)
	script := a.BaseURL + "/o/" + slug + "/banner.js"
	v := bannerJSON{Revision: c.Revision, Script: script, Snippet: `<script src="` + script + `" async></script>`,
		Categories: []inventory.CookieCategory{}, Purposes: []string{}, Settings: doc.Policy.Banner, Effective: doc.Policy.Banner.Effective()}
	for _, k := range c.Optional() {
		v.Categories = append(v.Categories, k)
		v.Purposes = append(v.Purposes, consent.CookiePurpose(k))
	}
	v.Asks = len(v.Categories) > 0
	return v
}

// handleBannerGet answers the banner's configuration; integration tokens
// may read it (SPEC §3).
func (a *API) handleBannerGet(w http.ResponseWriter, r *http.Request, c *call) error {
	doc, _, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.bannerView(doc, c.org.Slug))
	return nil
}

// handleBannerPut replaces the banner's settings; the inventory validates
// them (colours and their contrast, origins, months) and the revision
// changes, so visitors are asked again.
func (a *API) handleBannerPut(w http.ResponseWriter, r *http.Request, c *call) error {
	var s inventory.BannerSettings
	if err := decodeBody(w, r, &s); err != nil {
		return err
	}
	if _, err := a.Inventory.SetBanner(r.Context(), c.actor, c.org.ID, s); err != nil {
		// The inventory names fields by their place in the document;
		// this body is the banner's settings alone.
		var ve privaq.ValidationErrors
		if errors.As(err, &ve) {
			for i, e := range ve {
				rel := *e
				rel.Field = strings.TrimPrefix(rel.Field, "policy.banner.")
				ve[i] = &rel
			}
		}
		return err
	}
	return a.handleBannerGet(w, r, c)
}
