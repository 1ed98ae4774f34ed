package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
)

// The register of confidentiality incidents (SPEC §10): the list with its
// filters, how long each incident has been known and whether its notices
// are overdue, the exports for the Commission, and the organization's
// incident settings. Staff declare and read, auditors read, the officer
// manages; the incident service checks again and audits every read.

func (w *Web) incidentsEnabled(q *req) error {
	if w.Incidents == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	return q.actor.Require(q.org.ID, privaq.PermIncidentRead)
}

// incidentFilter is the list's filter as the query gives it.
type incidentFilter struct {
	Status, Serious, From, To string
}

// incidentRow is one incident of the list.
type incidentRow struct {
	incident.Incident
	Kind, Discovered, Elapsed, Serious, Notices string
}

type incidentsView struct {
	*Page
	Rows     []incidentRow
	Filter   incidentFilter
	Settings incident.Settings
	// SettingsErrors are the settings form's errors, by field.
	SettingsErrors map[string]string
	Processors     []inventory.Recipient
	Open, Overdue  int
}

// Err returns the settings form's error for a field.
func (v *incidentsView) Err(field string) string { return v.SettingsErrors[field] }

// elapsed says how long ago the organization learned of an incident, in
// days and hours.
func elapsed(p *Page, hours int) string {
	if hours < 24 {
		return p.T("inc.elapsed.hours", hours)
	}
	return p.T("inc.elapsed.days", hours/24, hours%24)
}

// seriousText says the latest conclusion in the page's language.
func seriousText(p *Page, s *bool) string {
	switch {
	case s == nil:
		return p.T("inc.serious.none")
	case *s:
		return p.T("inc.serious.yes")
	}
	return p.T("inc.serious.no")
}

// noticesText says where a serious incident's notices stand.
func noticesText(p *Page, inc *incident.Incident) string {
	if inc.Serious == nil || !*inc.Serious {
		return "—"
	}
	var parts []string
	if inc.CAINotifiedAt != nil {
		parts = append(parts, p.T("inc.notices.cai_done"))
	} else {
		parts = append(parts, p.T("inc.notices.cai_due"))
	}
	if inc.PersonsNotifiedAt != nil || inc.PublicNoticeAt != nil {
		parts = append(parts, p.T("inc.notices.persons_done"))
	} else {
		parts = append(parts, p.T("inc.notices.persons_due"))
	}
	return strings.Join(parts, " · ")
}

func (w *Web) handleIncidents(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.incidentsEnabled(q); err != nil {
		return err
	}
	if r.URL.Query().Has("settings") {
		q.Flash = q.T("inc.settings.saved")
	}
	if n := r.URL.Query().Get("removed"); n != "" {
		q.Flash = q.T("inc.flash.deleted", n)
	}
	set, err := w.Incidents.Settings(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	return w.showIncidents(rw, r, q, set, nil)
}

func (w *Web) showIncidents(rw http.ResponseWriter, r *http.Request, q *req, set incident.Settings, settingsErr error) error {
	qs := r.URL.Query()
	v := &incidentsView{Page: q.Page, Settings: set, SettingsErrors: map[string]string{},
		Filter: incidentFilter{Status: qs.Get("status"), Serious: qs.Get("serious"), From: qs.Get("from"), To: qs.Get("to")}}
	if settingsErr != nil {
		v.SettingsErrors, _ = w.errorsByField(q, settingsErr)
		q.Status = http.StatusUnprocessableEntity
	}
	var f incident.Filter
	yes, no := true, false
	switch v.Filter.Status {
	case "open":
		f.Open = &yes
	case "closed":
		f.Open = &no
	}
	switch v.Filter.Serious {
	case "yes":
		f.Serious = &yes
	case "no":
		f.Serious = &no
	}
	// A date the browser sent malformed is ignored rather than refused:
	// the filter shows it back and the list is unfiltered by it.
	if t, ok := incident.ParseTime(v.Filter.From); ok && t != nil {
		f.From = *t
	}
	if t, ok := incident.ParseTime(v.Filter.To); ok && t != nil {
		f.To = t.AddDate(0, 0, 1) // the whole day
	}
	incs, err := w.Incidents.List(r.Context(), q.actor, q.org.ID, f)
	if err != nil {
		return err
	}
	for _, inc := range incs {
		v.Rows = append(v.Rows, incidentRow{Incident: inc, Kind: incident.KindName(inc.Kind, q.Lang),
			Discovered: incident.FormatDate(inc.DiscoveredAt, q.Lang), Elapsed: elapsed(q.Page, inc.ElapsedHours),
			Serious: seriousText(q.Page, inc.Serious), Notices: noticesText(q.Page, &inc)})
	}
	if v.Open, v.Overdue, err = w.Incidents.Summary(r.Context(), q.actor, q.org.ID); err != nil {
		return err
	}
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v.Processors = processors(doc)
	q.Nav, q.Title = "incidents", q.T("nav.incidents")
	w.render(rw, r, "incidents", v)
	return nil
}

// processors are the recipients acting as the organization's mandataries,
// who must report incidents to the person in charge without delay
// (P 18.3, A 67.2).
func processors(doc *inventory.Document) []inventory.Recipient {
	var out []inventory.Recipient
	for _, rc := range doc.Recipients {
		if rc.Role == inventory.RoleProcessor {
			out = append(out, rc)
		}
	}
	return out
}

func (w *Web) handleIncidentSettings(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.incidentsEnabled(q); err != nil {
		return err
	}
	p := r.PostForm
	set := incident.Settings{NEQ: strings.TrimSpace(p.Get("neq"))}
	hours, err := strconv.Atoi(strings.TrimSpace(p.Get("overdue_hours")))
	if err != nil {
		hours = 0 // reported as out of range by the service
	}
	set.OverdueHours = hours
	if _, err := w.Incidents.SetSettings(r.Context(), q.actor, q.org.ID, set); err != nil {
		if userError(err) {
			return w.showIncidents(rw, r, q, set, err)
		}
		return err
	}
	http.Redirect(rw, r, q.orgURL("incidents")+"?settings=1", http.StatusSeeOther)
	return nil
}

// handleIncidentsExport downloads the register, in CSV or PDF, in the
// language asked.
func (w *Web) handleIncidentsExport(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.incidentsEnabled(q); err != nil {
		return err
	}
	lang := incident.Lang(r.URL.Query().Get("in"))
	format := r.URL.Query().Get("format")
	reg, err := w.Incidents.Register(r.Context(), q.actor, q.org.ID, lang)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	ct := "text/csv; charset=utf-8"
	if format == "pdf" {
		ct, err = "application/pdf", reg.PDF(&buf)
	} else {
		format, err = "csv", reg.CSV(&buf)
	}
	if err != nil {
		return err
	}
	name := map[string]string{"fr": "registre-incidents", "en": "incident-register"}[lang]
	download(rw, ct, fmt.Sprintf("%s-%s-%s.%s", name, q.org.Slug, reg.Prepared.Format("20060102"), format), buf.Bytes())
	return nil
}

// download answers a file to save.
func download(rw http.ResponseWriter, contentType, name string, data []byte) {
	h := rw.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	rw.Write(data)
}

// incidentURL is the path of an incident's page.
func (q *req) incidentURL(id incident.ID, rest ...string) string {
	return q.orgURL(append([]string{"incidents", strconv.FormatInt(int64(id), 10)}, rest...)...)
}

// ExportURL is the download of the register in a format and a language.
func (v *incidentsView) ExportURL(format, lang string) string {
	return "/admin/o/" + v.Org.Slug + "/incidents/export?" + url.Values{"format": {format}, "in": {lang}}.Encode()
}
