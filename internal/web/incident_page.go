package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
)

// The page of one incident: its facts, the guided assessment of the risk
// of serious injury, the notices (to the Commission, to the people
// concerned), the list of people, the communications to whoever can
// reduce the risk, and the history of every change.

// fact is one line of the incident's facts.
type fact struct {
	Label, Value string
}

// assessForm is the assessment form as sent, kept on an error.
type assessForm struct {
	Sensitivity, Consequences, Likelihood, Serious, Grounds string
}

// historyLine is one entry of the history, as the page shows it.
type historyLine struct {
	incident.HistoryEntry
	What    string
	Changes []incident.Change
}

type incidentView struct {
	*Page
	Inc        incident.Incident
	Facts      []fact
	Levels     []option
	Assess     assessForm
	AssessErrs map[string]string
	Suggested  string // privaq's reading of the factors of the latest assessment
	Latest     *incident.Assessment
	// CAIText is the notice to the Commission, or CAIMissing what it
	// lacks.
	CAIText    string
	CAIMissing []string
	// Previews are the notices to the people concerned, by language, or
	// what each lacks.
	Previews   []personPreview
	Disclosure incident.DisclosureInput
	DiscErrs   map[string]string
	History    []historyLine
	Processors []inventory.Recipient
	// Deletable says whether the five years have passed; DeletableOn when.
	Deletable   bool
	DeletableOn string
	DeletedNote string
}

type personPreview struct {
	Lang, Name    string
	Subject, Text string
	Missing       []string
}

// Date shows a date in the page's language.
func (v *incidentView) Date(t time.Time) string { return incident.FormatDate(t, v.Lang) }

// DateP shows an optional date.
func (v *incidentView) DateP(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return incident.FormatDate(*t, v.Lang)
}

// Level names a factor's grade.
func (v *incidentView) Level(l incident.Level) string { return incident.LevelName(l, v.Lang) }

// Err returns the error of a field of the assessment or disclosure form.
func (v *incidentView) Err(field string) string {
	if e := v.AssessErrs[field]; e != "" {
		return e
	}
	return v.DiscErrs[field]
}

// incident finds the incident of the path, read for the actor (and
// audited).
func (w *Web) incident(r *http.Request, q *req) (incident.Incident, error) {
	if err := w.incidentsEnabled(q); err != nil {
		return incident.Incident{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return incident.Incident{}, privaq.Errorf(privaq.ENotFound, "incident not found")
	}
	return w.Incidents.Get(r.Context(), q.actor, q.org.ID, incident.ID(id))
}

func (w *Web) handleIncident(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	qs := r.URL.Query()
	for _, k := range []string{"declared", "assessed", "disclosed", "closed", "reopened", "imported", "posted", "destroyed"} {
		if qs.Has(k) {
			q.Flash = q.T("inc.flash."+k, qs.Get(k))
		}
	}
	return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
}

// showIncident fills the view around its incident and renders it.
func (w *Web) showIncident(rw http.ResponseWriter, r *http.Request, q *req, v *incidentView) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	inc := &v.Inc
	lang := q.Lang
	names := func(keys []string, coll string) string {
		c, _ := inventory.CollectionByName(coll)
		var out []string
		for _, k := range keys {
			label := k
			if it, ok := c.Get(doc, k); ok {
				_, label = itemLabel(q.Page, c, it)
			}
			out = append(out, label)
		}
		return strings.Join(out, ", ")
	}
	v.Facts = []fact{
		{q.T("inc.col.kind"), incident.KindName(inc.Kind, lang)},
		{q.T("inc.field.description"), inc.Description},
		{q.T("inc.field.cause"), inc.Cause},
		{q.T("inc.col.occurred"), inc.Period(lang)},
		{q.T("inc.col.discovered"), incident.FormatDate(inc.DiscoveredAt, lang) + " — " + q.T("inc.elapsed.since", elapsed(q.Page, inc.ElapsedHours))},
		{q.T("inc.col.information"), inc.InformationText(doc, lang)},
		{q.T("inc.col.people"), inc.PeopleText(lang)},
		{q.T("inc.field.systems"), names(inc.Systems, "systems")},
		{q.T("inc.field.recipients"), names(inc.Recipients, "recipients")},
		{q.T("inc.field.caused_by"), names(nonEmpty(inc.CausedBy), "recipients")},
		{q.T("inc.field.measures"), inc.Measures},
		{q.T("inc.col.declared"), incident.FormatDate(inc.DeclaredAt, lang) + " — " + inc.DeclaredBy},
	}
	for _, l := range incident.Levels {
		v.Levels = append(v.Levels, option{Value: string(l), Label: incident.LevelName(l, lang)})
	}
	if v.AssessErrs == nil {
		v.AssessErrs = map[string]string{}
	}
	if v.DiscErrs == nil {
		v.DiscErrs = map[string]string{}
	}
	if v.Latest = latestAssessment(inc.Assessments); v.Latest != nil && v.Assess == (assessForm{}) {
		a := v.Latest
		v.Assess = assessForm{Sensitivity: string(a.Sensitivity), Consequences: string(a.Consequences), Likelihood: string(a.Likelihood)}
		v.Suggested = q.T("inc.assess.suggest.no")
		if incident.Suggest(a.Sensitivity, a.Consequences, a.Likelihood) {
			v.Suggested = q.T("inc.assess.suggest.yes")
		}
	}
	if v.Latest != nil && v.Latest.Serious {
		v.CAIText, v.CAIMissing = w.caiPreview(r, q, inc.ID)
		for _, l := range []string{"fr", "en"} {
			p := personPreview{Lang: l, Name: q.T("lang." + l)}
			pv, err := w.Incidents.PersonNoticePreview(r.Context(), q.actor, q.org.ID, inc.ID, l)
			if userError(err) {
				for _, e := range errorList(err) {
					p.Missing = append(p.Missing, w.localize(q, e))
				}
			} else if err != nil {
				return err
			}
			p.Subject, p.Text = pv.Subject, pv.Text
			v.Previews = append(v.Previews, p)
		}
	}
	for _, h := range inc.History {
		v.History = append(v.History, historyLine{HistoryEntry: h, What: q.T("inc.history." + h.Action), Changes: h.Changes})
	}
	v.Processors = processors(doc)
	from := inc.DeletableFrom()
	v.Deletable, v.DeletableOn = !time.Now().Before(from), incident.FormatDate(from, lang)
	q.Nav, q.Title = "incidents", inc.Reference
	w.render(rw, r, "incident", v)
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func latestAssessment(as []incident.Assessment) *incident.Assessment {
	if len(as) == 0 {
		return nil
	}
	return &as[len(as)-1]
}

// caiPreview writes the notice to the Commission in the page's language,
// or the items it lacks.
func (w *Web) caiPreview(r *http.Request, q *req, id incident.ID) (string, []string) {
	n, err := w.Incidents.CAINotice(r.Context(), q.actor, q.org.ID, id, q.Lang)
	if err != nil {
		var missing []string
		for _, e := range errorList(err) {
			missing = append(missing, w.localize(q, e))
		}
		return "", missing
	}
	return n.Text(), nil
}

func (w *Web) handleIncidentAssess(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	p := r.PostForm
	f := assessForm{Sensitivity: p.Get("sensitivity"), Consequences: p.Get("consequences"), Likelihood: p.Get("likelihood"),
		Serious: p.Get("serious"), Grounds: strings.TrimSpace(strings.ReplaceAll(p.Get("grounds"), "\r\n", "\n"))}
	in := incident.AssessmentInput{Sensitivity: f.Sensitivity, Consequences: f.Consequences, Likelihood: f.Likelihood, Grounds: f.Grounds}
	if f.Serious == "yes" || f.Serious == "no" {
		b := f.Serious == "yes"
		in.Serious = &b
	}
	_, err = w.Incidents.Assess(r.Context(), q.actor, q.org.ID, inc.ID, in)
	if userError(err) {
		v := &incidentView{Page: q.Page, Inc: inc, Assess: f}
		v.AssessErrs, _ = w.errorsByField(q, err)
		q.Status = http.StatusUnprocessableEntity
		return w.showIncident(rw, r, q, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?assessed="+url.QueryEscape(inc.Reference)+"#assessment", http.StatusSeeOther)
	return nil
}

func (w *Web) handleIncidentDisclose(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	p := r.PostForm
	crlf := strings.NewReplacer("\r\n", "\n")
	in := incident.DisclosureInput{DisclosedAt: strings.TrimSpace(p.Get("disclosed_at")), Recipient: strings.TrimSpace(p.Get("recipient")),
		Information: strings.TrimSpace(crlf.Replace(p.Get("information"))), Reason: strings.TrimSpace(crlf.Replace(p.Get("reason")))}
	_, err = w.Incidents.Disclose(r.Context(), q.actor, q.org.ID, inc.ID, in)
	if userError(err) {
		v := &incidentView{Page: q.Page, Inc: inc, Disclosure: in}
		v.DiscErrs, _ = w.errorsByField(q, err)
		q.Status = http.StatusUnprocessableEntity
		return w.showIncident(rw, r, q, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?disclosed="+url.QueryEscape(inc.Reference)+"#disclosures", http.StatusSeeOther)
	return nil
}

// handleIncidentStatus closes or reopens; a refusal says what is missing.
func (w *Web) handleIncidentStatus(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	status := incident.Status(r.PostFormValue("status"))
	_, err = w.Incidents.Update(r.Context(), q.actor, q.org.ID, inc.ID, func(*incident.Input) error { return nil }, status)
	if userError(err) {
		var msgs []string
		for _, e := range errorList(err) {
			msgs = append(msgs, w.localize(q, e))
		}
		q.Flash, q.FlashError, q.Status = strings.Join(msgs, " "), true, http.StatusUnprocessableEntity
		return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?"+map[incident.Status]string{incident.StatusClosed: "closed", incident.StatusOpen: "reopened"}[status]+"="+
		url.QueryEscape(inc.Reference), http.StatusSeeOther)
	return nil
}

// handleIncidentDelete removes an incident from the register once its
// five years are over; before, it says when it may be.
func (w *Web) handleIncidentDelete(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	err = w.Incidents.Delete(r.Context(), q.actor, q.org.ID, inc.ID)
	var pe *privaq.Error
	if privaq.IsCode(err, privaq.EConflict) && errors.As(err, &pe) {
		q.Flash, q.FlashError, q.Status = domainText(q, pe), true, http.StatusConflict
		return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("incidents")+"?removed="+url.QueryEscape(inc.Reference), http.StatusSeeOther)
	return nil
}

// domainText is a domain's own sentence in the page's language, for the
// refusals whose details matter (a date, a count), which the catalog's
// generic wording would lose.
func domainText(q *req, e *privaq.Error) string {
	if q.Lang == "fr" && e.FR != "" {
		return e.FR
	}
	return e.Message
}

// Since says how long the organization has known of the incident.
func (v *incidentView) Since() string {
	return v.T("inc.elapsed.since", elapsed(v.Page, v.Inc.ElapsedHours))
}

// levelField feeds the template of one factor of the assessment.
type levelField struct {
	V           *incidentView
	Name, Value string
}

// LevelField is the factor name of the assessment form, with its value.
func (v *incidentView) LevelField(name, value string) levelField {
	return levelField{V: v, Name: name, Value: value}
}
