package web

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

type noticeView struct {
	*Page
	Key     string
	Name    string
	Notices []noticePreview
}

// noticePreview is the notice in one language: shown as the visitor will
// see it, and as the HTML to copy into the organization's own page.
type noticePreview struct {
	Lang    string
	Preview template.HTML
	Snippet string
}

// handleNotice shows the collection notice of an activity (P 8, A 65) in
// French and English, as privaq writes it now from the inventory.
func (w *Web) handleNotice(rw http.ResponseWriter, r *http.Request, q *req) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	i := slices.IndexFunc(doc.Activities, func(a inventory.Activity) bool { return a.Key == key })
	if i < 0 {
		return privaq.Errorf(privaq.ENotFound, "no such activity")
	}
	v := &noticeView{Page: q.Page, Key: key, Name: q.In(doc.Activities[i].Name)}
	for _, lang := range inventory.Languages {
		n, err := policy.Notice(doc, key, lang, policy.Options{Org: q.org.Slug, BaseURL: w.BaseURL})
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := n.HTML(&buf); err != nil {
			return err
		}
		// The notice escapes every inventory text: its output is safe HTML
		// by construction, like the policy's.
		v.Notices = append(v.Notices, noticePreview{Lang: lang, Preview: template.HTML(buf.String()), Snippet: buf.String()})
	}
	q.Nav, q.Title = "activities", q.T("notice.title")+" — "+v.Name
	w.render(rw, r, "notice", v)
	return nil
}
