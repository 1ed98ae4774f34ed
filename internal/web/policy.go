package web

import (
	"bytes"
	"html/template"
	"net/http"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

type policyView struct {
	*Page
	DocLang  string
	Policy   template.HTML
	Versions []policy.Version
	// Publish is the publication form of one draft, when it was sent back
	// with errors.
	Publish *publishForm
	doc     *inventory.Document
}

// Purposes names purposes by key, from the current inventory (a key no
// longer there is shown as is).
func (v *policyView) Purposes(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		name := k
		for _, p := range v.doc.Purposes {
			if p.Key == k {
				name = v.In(p.Name)
			}
		}
		out = append(out, name)
	}
	return out
}

// handlePolicyPreview shows the policy as it would be generated now from
// the inventory, in either publication language, and its versions.
func (w *Web) handlePolicyPreview(rw http.ResponseWriter, r *http.Request, q *req) error {
	lang := r.URL.Query().Get("doc")
	if lang == "" {
		lang = q.Lang
	}
	if lang != "fr" && lang != "en" {
		return privaq.Errorf(privaq.ENotFound, "no such language")
	}
	return w.policyPage(rw, r, q, lang, nil)
}

func (w *Web) policyPage(rw http.ResponseWriter, r *http.Request, q *req, lang string, form *publishForm) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	p, err := policy.Render(doc, lang, policy.Options{Org: q.org.Slug, BaseURL: w.BaseURL})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := p.HTML(&buf); err != nil {
		return err
	}
	q.Nav, q.Title = "policy", q.T("nav.policy")
	// The renderer escapes every inventory text and sanitizes the officer's
	// Markdown; its output is safe HTML by construction.
	v := &policyView{Page: q.Page, DocLang: lang, Policy: template.HTML(buf.String()), Publish: form, doc: doc}
	return w.showPolicy(rw, r, q, v)
}
