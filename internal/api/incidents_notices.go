package api

import (
	"bytes"
	"fmt"
	"net/http"

	"privaq"
)

// The notices of an incident, its list of people concerned, and the
// export of the register.

// maxPeopleCSV bounds a list of people: 10,000 rows of names, emails and
// postal addresses fit well within it (SPEC §4's limit for imports).
const maxPeopleCSV = 10 << 20

// noticeLang reads ?lang=, French by default (the Commission's language).
func noticeLang(r *http.Request) (string, error) {
	switch l := r.URL.Query().Get("lang"); l {
	case "", "fr":
		return "fr", nil
	case "en":
		return "en", nil
	}
	return "", privaq.FieldError("lang", "lang must be fr or en")
}

func (a *API) handleCAINotice(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	lang, err := noticeLang(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "text"
	}
	if format != "text" && format != "pdf" {
		return privaq.FieldError("format", "format must be text or pdf")
	}
	n, err := a.Incidents.CAINotice(r.Context(), c.actor, c.org.ID, id, lang)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if format == "text" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		_, err = w.Write([]byte(n.Text()))
		return err
	}
	var buf bytes.Buffer
	if err := n.PDF(&buf); err != nil {
		return err
	}
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="avis-cai-%s.pdf"`, n.Reference))
	_, err = w.Write(buf.Bytes())
	return err
}

func (a *API) handlePersonNotice(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	lang, err := noticeLang(r)
	if err != nil {
		return err
	}
	p, err := a.Incidents.PersonNoticePreview(r.Context(), c.actor, c.org.ID, id, lang)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) handlePeopleImport(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	data, _, err := readBody(w, r, maxPeopleCSV, "text/csv")
	if err != nil {
		return err
	}
	n, err := a.Incidents.ImportPeople(r.Context(), c.actor, c.org.ID, id, data)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]int{"imported": n})
	return nil
}

func (a *API) handlePeopleList(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	people, err := a.Incidents.People(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(people)})
	return nil
}

func (a *API) handlePeopleDestroy(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if err := a.Incidents.DestroyPeople(r.Context(), c.actor, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) handleNoticesSend(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	sent, err := a.Incidents.SendNotices(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sent)
	return nil
}

func (a *API) handleNoticesPosted(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var in struct {
		PostedAt string `json:"posted_at"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &in); err != nil {
			return err
		}
	}
	n, err := a.Incidents.MarkPosted(r.Context(), c.actor, c.org.ID, id, in.PostedAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"letters_posted": n})
	return nil
}

func (a *API) handleIncidentsExport(w http.ResponseWriter, r *http.Request, c *call) error {
	lang, err := noticeLang(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "pdf" {
		return privaq.FieldError("format", "format must be csv or pdf")
	}
	reg, err := a.Incidents.Register(r.Context(), c.actor, c.org.ID, lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ct := "text/csv; charset=utf-8"
	if format == "csv" {
		err = reg.CSV(&buf)
	} else {
		ct = "application/pdf"
		err = reg.PDF(&buf)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-store")
	name := map[string]string{"fr": "registre-incidents", "en": "incident-register"}[lang]
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.%s"`, name, c.org.Slug, reg.Prepared.Format("20060102"), format))
	_, err = w.Write(buf.Bytes())
	return err
}
