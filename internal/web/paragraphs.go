package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"privaq/internal/inventory"
	"privaq/internal/policy"
)

// paragraphsView is the form of the officer's own paragraphs, one French
// and one English text per policy section.
type paragraphsView struct {
	*Page
	Sections []paragraphField
	Other    []string
}

type paragraphField struct {
	ID, Heading  string
	FR, EN       string
	ErrFR, ErrEN string
}

func (w *Web) handleParagraphsForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	return w.showParagraphs(rw, r, q, doc.Policy.Paragraphs, nil)
}

// paragraphErrRE reads the index and language of a paragraph's error.
var paragraphErrRE = regexp.MustCompile(`^policy\.paragraphs\[(\d+)\]\.text\.(fr|en)$`)

func (w *Web) showParagraphs(rw http.ResponseWriter, r *http.Request, q *req, ps []inventory.Paragraph, err error) error {
	v := &paragraphsView{Page: q.Page}
	for _, id := range policy.SectionIDs {
		f := paragraphField{ID: id, Heading: policy.SectionHeading(id, q.Lang)}
		for _, p := range ps {
			if p.Section == id {
				f.FR, f.EN = p.Text.FR, p.Text.EN
			}
		}
		v.Sections = append(v.Sections, f)
	}
	if err != nil {
		q.Status = http.StatusUnprocessableEntity
		for _, e := range errorList(err) {
			msg := w.localize(q, e)
			m := paragraphErrRE.FindStringSubmatch(e.Field)
			i := -1
			if m != nil {
				i, _ = strconv.Atoi(m[1])
			}
			if i < 0 || i >= len(ps) {
				v.Other = append(v.Other, msg)
				continue
			}
			for k := range v.Sections {
				if f := &v.Sections[k]; f.ID == ps[i].Section {
					if m[2] == "fr" {
						f.ErrFR = msg
					} else {
						f.ErrEN = msg
					}
				}
			}
		}
	}
	q.Nav, q.Title = "policy", q.T("paragraphs.title")
	w.render(rw, r, "paragraphs", v)
	return nil
}

// handleParagraphsSave replaces the officer's paragraphs with the form's
// non-empty texts, in section order.
func (w *Web) handleParagraphsSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	var ps []inventory.Paragraph
	for _, id := range policy.SectionIDs {
		t := inventory.Text{FR: strings.TrimSpace(r.PostForm.Get("fr." + id)), EN: strings.TrimSpace(r.PostForm.Get("en." + id))}
		if !t.IsZero() {
			ps = append(ps, inventory.Paragraph{Section: id, Text: t})
		}
	}
	settings := doc.Policy
	settings.Paragraphs = ps
	_, err = w.Inventory.SetPolicy(r.Context(), q.actor, q.org.ID, settings)
	if userError(err) {
		return w.showParagraphs(rw, r, q, ps, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("policy", "paragraphs")+"?saved=1", http.StatusSeeOther)
	return nil
}
