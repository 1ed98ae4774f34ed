package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/inventory"
)

// The cookie banner's page: the snippet to paste in a website, a live
// preview in each language (privaq's preview page in frames, since the
// admin runs no script), and the banner's settings, saved in the
// inventory so that every change bumps the banner's revision.

type bannerView struct {
	*Page
	Snippet  string
	Revision string
	Shown    bool // the inventory declares cookies that need a choice
	Settings inventory.BannerSettings
	Eff      inventory.BannerSettings // with the defaults, for the colour inputs
	Origins  string                   // one per line, as typed
	Months   string
	Errors   map[string]string
	Other    []string
}

// Err returns the error of a field, by its document path.
func (v *bannerView) Err(field string) string { return v.Errors[field] }

// Colour is the colour a field shows, defaults included.
func (v *bannerView) Colour(name string) string {
	return map[string]string{"background": v.Eff.Background, "text": v.Eff.Text, "accent": v.Eff.Accent, "accent_text": v.Eff.AccentText}[name]
}

// Contrast says a pair of colours' contrast ratio, in the page's language.
func (v *bannerView) Contrast(fg, bg string) string {
	s := fmt.Sprintf("%.1f:1", inventory.Contrast(fg, bg))
	if v.Lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (w *Web) handleBanner(rw http.ResponseWriter, r *http.Request, q *req) error {
	return w.showBanner(rw, r, q, nil, nil, "")
}

func (w *Web) showBanner(rw http.ResponseWriter, r *http.Request, q *req, form *inventory.BannerSettings, err error, months string) error {
	doc, _, derr := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if derr != nil {
		return derr
	}
	c := banner.Build(doc, q.org.Slug)
	v := &bannerView{Page: q.Page, Revision: c.Revision, Shown: len(c.Optional()) > 0, Settings: doc.Policy.Banner, Errors: map[string]string{},
		Snippet: `<script src="` + w.BaseURL + `/o/` + q.org.Slug + `/banner.js" async></script>`}
	if form != nil {
		v.Settings = *form
	}
	v.Eff = v.Settings.Effective()
	v.Origins = strings.Join(v.Settings.AllowedOrigins, "\n")
	v.Months = months
	if v.Months == "" && v.Settings.ReconsentMonths != 0 {
		v.Months = strconv.Itoa(v.Settings.ReconsentMonths)
	}
	if err != nil {
		v.Errors, v.Other = w.errorsByField(q, err)
		q.Status = http.StatusUnprocessableEntity
	}
	q.Nav, q.Title = "banner", q.T("nav.banner")
	// The previews are privaq's own pages in frames: this page alone lets
	// them in (the admin's CSP otherwise refuses every frame).
	w.render(framesSelf{rw}, r, "banner", v)
	return nil
}

// handleBannerSave records the settings; the inventory validates them
// (colours, contrast, origins) and the page shows any error by its field.
func (w *Web) handleBannerSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	f := r.PostForm
	s := inventory.BannerSettings{Position: f.Get("position"), Background: strings.ToLower(f.Get("background")), Text: strings.ToLower(f.Get("text")),
		Accent: strings.ToLower(f.Get("accent")), AccentText: strings.ToLower(f.Get("accent_text")), PolicyURL: strings.TrimSpace(f.Get("policy_url"))}
	// Colours left at their defaults stay unset, so that the defaults may
	// improve later without a migration.
	def := inventory.BannerSettings{}.Effective()
	unset := func(v *string, d string) {
		if *v == d {
			*v = ""
		}
	}
	unset(&s.Background, def.Background)
	unset(&s.Text, def.Text)
	unset(&s.Accent, def.Accent)
	unset(&s.AccentText, def.AccentText)
	unset(&s.Position, def.Position)
	for line := range strings.SplitSeq(f.Get("allowed_origins"), "\n") {
		if o := strings.TrimSpace(line); o != "" {
			s.AllowedOrigins = append(s.AllowedOrigins, o)
		}
	}
	months := strings.TrimSpace(f.Get("reconsent_months"))
	if months != "" {
		n, err := strconv.Atoi(months)
		if err != nil {
			return w.showBanner(rw, r, q, &s, &privaq.Error{Code: privaq.EValidation, Field: "policy.banner.reconsent_months", Rule: "number", Message: "a whole number is required"}, months)
		}
		s.ReconsentMonths = n
	}
	_, err := w.Inventory.SetBanner(r.Context(), q.actor, q.org.ID, s)
	if userError(err) {
		return w.showBanner(rw, r, q, &s, err, months)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("banner")+"?saved=1", http.StatusSeeOther)
	return nil
}

// framesSelf adds frame-src 'self' to the page's Content-Security-Policy
// as the headers are sent.
type framesSelf struct{ http.ResponseWriter }

func (f framesSelf) WriteHeader(code int) {
	h := f.Header()
	if csp := h.Get("Content-Security-Policy"); csp != "" {
		h.Set("Content-Security-Policy", csp+"; frame-src 'self'")
	}
	f.ResponseWriter.WriteHeader(code)
}
