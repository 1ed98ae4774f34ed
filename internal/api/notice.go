package api

import (
	"bytes"
	"net/http"

	"privaq"
	"privaq/internal/policy"
)

// noticeJSON is an activity's collection notice in one language, as the
// HTML snippet to paste beside the form and as plain text.
type noticeJSON struct {
	Activity string `json:"activity"`
	Lang     string `json:"lang"`
	Title    string `json:"title"`
	HTML     string `json:"html"`
	Text     string `json:"text"`
}

// handleNotice answers the collection notice of an activity (P 8, A 65),
// written from the current inventory: JSON by default, or the HTML snippet
// alone with format=html.
func (a *API) handleNotice(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	lang, format := q.Get("lang"), q.Get("format")
	if lang == "" {
		lang = "fr"
	}
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "html" {
		return privaq.FieldError("format", "format must be json or html")
	}
	doc, _, err := a.Inventory.Document(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	n, err := policy.Notice(doc, r.PathValue("key"), lang, policy.Options{Org: c.org.Slug, BaseURL: a.BaseURL})
	if err != nil {
		return err
	}
	var html, text bytes.Buffer
	if err := n.HTML(&html); err != nil {
		return err
	}
	if format == "html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Language", n.Lang)
		w.Header().Set("Cache-Control", "no-store")
		_, err = w.Write(html.Bytes())
		return err
	}
	if err := n.Text(&text); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, noticeJSON{Activity: n.Activity, Lang: n.Lang, Title: n.Title, HTML: html.String(), Text: text.String()})
	return nil
}
