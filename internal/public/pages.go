package public

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/policy"
)

type errorView struct {
	*Page
	Next *policy.Version // a version announced while none is in effect
}

// policyView is one version of the policy, and the notice of the next one.
type policyView struct {
	*Page
	Version    policy.Version
	Policy     template.HTML
	Next       *policy.Version
	NextText   []string // the summary of changes of Next, or its list of changes
	Superseded bool
	subscribeForm
}

// subscribeForm is what the subscription form shows again after an error.
type subscribeForm struct {
	Email, Error string
}

// noticeOf says what changes in v, in lang.
func noticeOf(v *policy.Version, lang string) []string {
	if v == nil {
		return nil
	}
	return v.ChangeText(lang)
}

// show renders version v (with its snapshot) into a policy page.
func (p *Public) show(pg *Page, v policy.Version, r *http.Request) (*policyView, error) {
	pg.Langs = v.Inventory.Org.Languages
	pg.Lang = lang(r, pg.Langs)
	pol, err := v.Render(pg.Lang, pg.Org.Slug, p.BaseURL)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pol.HTML(&buf); err != nil {
		return nil, err
	}
	pg.Title = pol.Title
	// The renderer escapes every inventory text and sanitizes the
	// officer's Markdown: its output is safe HTML by construction.
	return &policyView{Page: pg, Version: v, Policy: template.HTML(buf.String()), Superseded: v.Status == policy.StatusSuperseded}, nil
}

func (p *Public) handlePolicy(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	view, err := p.Policies.PublicView(r.Context(), pg.Org.ID)
	if err != nil {
		return "", nil, err
	}
	if view.Current == nil {
		pg.Status, pg.Title = http.StatusNotFound, pg.T("public.none_title")+" · "+pg.Org.Name
		return "error", &errorView{Page: pg, Next: view.Next}, nil
	}
	v, err := p.show(pg, *view.Current, r)
	if err != nil {
		return "", nil, err
	}
	v.Next, v.NextText = view.Next, noticeOf(view.Next, pg.Lang)
	return "policy", v, nil
}

func (p *Public) handleVersion(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return "", nil, privaq.Errorf(privaq.ENotFound, "no such version")
	}
	ver, err := p.Policies.PublishedVersion(r.Context(), pg.Org.ID, n)
	if err != nil {
		return "", nil, err
	}
	v, err := p.show(pg, ver, r)
	if err != nil {
		return "", nil, err
	}
	if ver.Status == policy.StatusScheduled {
		v.NextText = noticeOf(&ver, pg.Lang)
	}
	return "policy", v, nil
}

type versionsView struct {
	*Page
	Versions []policy.Version
}

func (p *Public) handleVersions(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	view, err := p.Policies.PublicView(r.Context(), pg.Org.ID)
	if err != nil {
		return "", nil, err
	}
	if len(view.Versions) == 0 {
		pg.Status, pg.Title = http.StatusNotFound, pg.T("public.none_title")
		return "error", &errorView{Page: pg}, nil
	}
	if view.Current != nil {
		pg.Langs = view.Current.Inventory.Org.Languages
		pg.Lang = lang(r, pg.Langs)
	}
	pg.Title = pg.T("public.versions") + " · " + pg.Org.Name
	return "versions", &versionsView{Page: pg, Versions: view.Versions}, nil
}

// handleJSON answers the current version as JSON, in the language asked
// for; anyone may read it, from any origin.
func (p *Public) handleJSON(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code privaq.Code, msg string) { writeJSONError(w, status, code, msg) }
	o, err := p.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
	var view policy.Public
	if err == nil {
		view, err = p.Policies.PublicView(r.Context(), o.ID)
	}
	if err == nil && view.Current == nil {
		err = privaq.Errorf(privaq.ENotFound, "no policy in effect")
	}
	var pol *policy.Policy
	if err == nil {
		pol, err = view.Current.Render(lang(r, view.Current.Inventory.Org.Languages), o.Slug, p.BaseURL)
	}
	var buf bytes.Buffer
	if err == nil {
		err = pol.JSON(&buf)
	}
	switch {
	case privaq.IsCode(err, privaq.ENotFound):
		fail(http.StatusNotFound, privaq.ENotFound, "no published policy for this organization")
		return
	case err != nil:
		p.Log.ErrorContext(r.Context(), "public_json_failed", "err", err)
		fail(http.StatusInternalServerError, privaq.EInternal, "an internal error occurred; it has been logged")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Language")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Language", pol.Lang)
	w.Write(buf.Bytes())
}

// handleLedgerKey publishes the organization's ledger public keys, with
// which anyone checks a consent receipt offline.
func (p *Public) handleLedgerKey(w http.ResponseWriter, r *http.Request) {
	o, err := p.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil || p.Ledger == nil {
		writeJSONError(w, http.StatusNotFound, privaq.ENotFound, "no such organization")
		return
	}
	keys, err := p.Ledger.PublicKeys(r.Context(), o.ID)
	if err != nil {
		p.Log.ErrorContext(r.Context(), "ledger_key_failed", "err", err)
		writeJSONError(w, http.StatusInternalServerError, privaq.EInternal, "an internal error occurred; it has been logged")
		return
	}
	if keys == nil {
		keys = []consent.PublicKey{}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	json.NewEncoder(w).Encode(map[string]any{"org": o.Slug, "algorithm": "Ed25519", "keys": keys})
}
