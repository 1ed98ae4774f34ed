package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
)

// The incident form: staff declare an incident in a few minutes, the
// officer later completes and corrects it (the notice texts, the dates of
// the notices). The form is the incident's Input, field by field, and is
// shown again with what was typed and each error beside its field.

// incidentField is one input of the form.
type incidentField struct {
	Name     string // the form's name, and the domain's field path
	Kind     string // text, textarea, date, datetime, number, radio, checks, checkbox, select
	Label    string
	Help     string
	Required bool
	Value    string
	Checked  bool
	Options  []option
	Error    string
}

type incidentSection struct {
	Legend string
	Help   string
	Fields []incidentField
}

type incidentFormView struct {
	*Page
	Incident *incident.Incident // nil when declaring
	Action   string
	Sections []incidentSection
	Problems []consentProblem
}

// noticeTexts are the texts of the notice to the people concerned, in the
// order of the form.
var noticeTexts = []string{"information", "circumstances", "measures", "advice"}

// inputFromForm reads the posted form into an input. The date and time of
// discovery comes as local Quebec time (a datetime-local input); the
// counts as text, checked here so that "abc" is an error on its field.
func inputFromForm(form url.Values, bad *privaq.ValidationErrors) incident.Input {
	crlf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
	get := func(k string) string { return strings.TrimSpace(crlf.Replace(form.Get(k))) }
	in := incident.Input{Kind: get("kind"), OccurredFrom: get("occurred_from"), OccurredTo: get("occurred_to"),
		OccurredApproximate: form.Get("occurred_approximate") != "", DiscoveredAt: get("discovered_at"), Description: get("description"),
		Cause: get("cause"), DataCategories: form["data_categories"], Information: get("information"),
		InformationUnknownReason: get("information_unknown_reason"), PeopleApproximate: form.Get("people_approximate") != "",
		Systems: form["systems"], Recipients: form["recipients"], CausedBy: get("caused_by"), Measures: get("measures"),
		NotificationPlan: get("notification_plan"), OthersNotified: get("others_notified"), CAINotifiedAt: get("cai_notified_at"),
		PublicNoticeAt: get("public_notice_at"), PublicNoticeReason: get("public_notice_reason")}
	if t, err := time.ParseInLocation("2006-01-02T15:04", in.DiscoveredAt, quebecTime()); err == nil {
		in.DiscoveredAt = t.UTC().Format(time.RFC3339)
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"people_count", &in.PeopleCount}, {"people_in_quebec", &in.PeopleInQuebec}} {
		s := strings.ReplaceAll(strings.ReplaceAll(get(f.name), " ", ""), "\u00a0", "")
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			*bad = append(*bad, &privaq.Error{Code: privaq.EValidation, Field: f.name, Message: "a whole number is required",
				FR: "Un nombre entier est requis."})
			continue
		}
		*f.dst = &n
	}
	texts := []*inventory.Text{&in.PersonNotice.Information, &in.PersonNotice.Circumstances, &in.PersonNotice.Measures, &in.PersonNotice.Advice}
	for i, name := range noticeTexts {
		*texts[i] = inventory.Text{FR: get("person_notice." + name + ".fr"), EN: get("person_notice." + name + ".en")}
	}
	return in
}

// formFromInput writes an input as form values, for a correction.
func formFromInput(in incident.Input) url.Values {
	f := url.Values{"kind": {in.Kind}, "occurred_from": {in.OccurredFrom}, "occurred_to": {in.OccurredTo}, "description": {in.Description},
		"cause": {in.Cause}, "data_categories": in.DataCategories, "information": {in.Information},
		"information_unknown_reason": {in.InformationUnknownReason}, "systems": in.Systems, "recipients": in.Recipients,
		"caused_by": {in.CausedBy}, "measures": {in.Measures}, "notification_plan": {in.NotificationPlan}, "others_notified": {in.OthersNotified},
		"cai_notified_at": {in.CAINotifiedAt}, "public_notice_at": {in.PublicNoticeAt}, "public_notice_reason": {in.PublicNoticeReason}}
	// Dates of the period and of the notices are days: a time, when the
	// API gave one, is kept by the day.
	for _, k := range []string{"occurred_from", "occurred_to", "cai_notified_at", "public_notice_at"} {
		if t, ok := incident.ParseTime(f.Get(k)); ok && t != nil {
			f.Set(k, t.Format(time.DateOnly))
		}
	}
	if t, ok := incident.ParseTime(in.DiscoveredAt); ok && t != nil {
		f.Set("discovered_at", t.In(quebecTime()).Format("2006-01-02T15:04"))
	}
	if in.OccurredApproximate {
		f.Set("occurred_approximate", "on")
	}
	if in.PeopleApproximate {
		f.Set("people_approximate", "on")
	}
	for _, c := range []struct {
		name string
		n    *int
	}{{"people_count", in.PeopleCount}, {"people_in_quebec", in.PeopleInQuebec}} {
		if c.n != nil {
			f.Set(c.name, strconv.Itoa(*c.n))
		}
	}
	texts := []inventory.Text{in.PersonNotice.Information, in.PersonNotice.Circumstances, in.PersonNotice.Measures, in.PersonNotice.Advice}
	for i, name := range noticeTexts {
		f.Set("person_notice."+name+".fr", texts[i].FR)
		f.Set("person_notice."+name+".en", texts[i].EN)
	}
	return f
}

func (w *Web) handleIncidentNew(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.incidentsEnabled(q); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermIncidentDeclare); err != nil {
		return err
	}
	// Most declarations are made the day the incident is learned of.
	now := time.Now().In(quebecTime())
	form := url.Values{"discovered_at": {now.Format("2006-01-02T15:04")}, "occurred_from": {now.Format(time.DateOnly)}}
	return w.showIncidentForm(rw, r, q, nil, form, nil)
}

func (w *Web) handleIncidentDeclare(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.incidentsEnabled(q); err != nil {
		return err
	}
	var bad privaq.ValidationErrors
	in := inputFromForm(r.PostForm, &bad)
	if len(bad) > 0 {
		return w.showIncidentForm(rw, r, q, nil, r.PostForm, w.withDomainErrors(r, q, in, bad))
	}
	inc, err := w.Incidents.Declare(r.Context(), q.actor, q.org.ID, in)
	if userError(err) {
		return w.showIncidentForm(rw, r, q, nil, r.PostForm, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?declared="+url.QueryEscape(inc.Reference), http.StatusSeeOther)
	return nil
}

func (w *Web) handleIncidentEdit(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermIncidentManage); err != nil {
		return err
	}
	return w.showIncidentForm(rw, r, q, &inc, formFromInput(inc.Details.Input()), nil)
}

func (w *Web) handleIncidentSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	var bad privaq.ValidationErrors
	in := inputFromForm(r.PostForm, &bad)
	if len(bad) > 0 {
		return w.showIncidentForm(rw, r, q, &inc, r.PostForm, w.withDomainErrors(r, q, in, bad))
	}
	_, err = w.Incidents.Update(r.Context(), q.actor, q.org.ID, inc.ID, func(cur *incident.Input) error { *cur = in; return nil }, "")
	if userError(err) {
		return w.showIncidentForm(rw, r, q, &inc, r.PostForm, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?saved="+url.QueryEscape(inc.Reference), http.StatusSeeOther)
	return nil
}

// showIncidentForm renders the form from values, with errors beside
// their fields after a refusal.
func (w *Web) showIncidentForm(rw http.ResponseWriter, r *http.Request, q *req, inc *incident.Incident, form url.Values, err error) error {
	doc, _, derr := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if derr != nil {
		return derr
	}
	errs, other := w.errorsByField(q, err)
	v := &incidentFormView{Page: q.Page, Incident: inc, Action: q.orgURL("incidents", "new")}
	if inc != nil {
		v.Action = q.incidentURL(inc.ID, "edit")
	}
	field := func(name, kind string, required bool, options []option) incidentField {
		f := incidentField{Name: name, Kind: kind, Label: q.T("inc.field." + name), Required: required, Value: form.Get(name),
			Checked: form.Get(name) != "", Options: options}
		if help := "inc.field." + name + ".help"; w.cat.Has(help) {
			f.Help = q.T(help)
		}
		for path, msg := range errs {
			// data_categories[1] belongs to data_categories.
			if path == name || strings.HasPrefix(path, name+"[") {
				f.Error = strings.TrimSpace(f.Error + " " + msg)
				delete(errs, path)
			}
		}
		return f
	}
	choices := func(name string, keys, labels []string) []option {
		out := make([]option, len(keys))
		for i, k := range keys {
			out[i] = option{Value: k, Label: labels[i], Selected: has(form[name], k)}
		}
		return out
	}
	var kinds, kindNames []string
	for _, k := range incident.Kinds {
		kinds, kindNames = append(kinds, string(k)), append(kindNames, incident.KindName(k, q.Lang))
	}
	var cats, catNames, systems, systemNames, recips, recipNames []string
	for _, c := range doc.DataCategories {
		cats, catNames = append(cats, c.Key), append(catNames, q.In(c.Name))
	}
	for _, s := range doc.Systems {
		systems, systemNames = append(systems, s.Key), append(systemNames, s.Name)
	}
	for _, rc := range doc.Recipients {
		name := rc.Name
		if rc.Role == inventory.RoleProcessor {
			name += " — " + q.T("inc.processor")
		}
		recips, recipNames = append(recips, rc.Key), append(recipNames, name)
	}
	v.Sections = []incidentSection{
		{Legend: q.T("inc.section.what"), Fields: []incidentField{
			field("kind", "radio", true, choices("kind", kinds, kindNames)),
			field("description", "textarea", true, nil),
			field("cause", "textarea", false, nil),
		}},
		{Legend: q.T("inc.section.when"), Fields: []incidentField{
			field("occurred_from", "date", true, nil),
			field("occurred_to", "date", false, nil),
			field("occurred_approximate", "checkbox", false, nil),
			field("discovered_at", "datetime", true, nil),
		}},
		{Legend: q.T("inc.section.information"), Help: q.T("inc.section.information.help"), Fields: []incidentField{
			field("data_categories", "checks", false, choices("data_categories", cats, catNames)),
			field("information", "textarea", false, nil),
			field("information_unknown_reason", "textarea", false, nil),
		}},
		{Legend: q.T("inc.section.people"), Fields: []incidentField{
			field("people_count", "number", false, nil),
			field("people_in_quebec", "number", false, nil),
			field("people_approximate", "checkbox", false, nil),
		}},
		{Legend: q.T("inc.section.scope"), Fields: []incidentField{
			field("systems", "checks", false, choices("systems", systems, systemNames)),
			field("recipients", "checks", false, choices("recipients", recips, recipNames)),
			field("caused_by", "select", false, choices("caused_by", recips, recipNames)),
		}},
		{Legend: q.T("inc.section.measures"), Fields: []incidentField{
			field("measures", "textarea", false, nil),
		}},
	}
	if inc != nil {
		v.Sections = append(v.Sections, incidentSection{Legend: q.T("inc.section.notices"), Help: q.T("inc.section.notices.help"), Fields: []incidentField{
			field("notification_plan", "textarea", false, nil),
			field("cai_notified_at", "date", false, nil),
			field("public_notice_at", "date", false, nil),
			field("public_notice_reason", "textarea", false, nil),
			field("others_notified", "textarea", false, nil),
		}})
		var texts []incidentField
		for _, name := range noticeTexts {
			for _, l := range []string{"fr", "en"} {
				f := field("person_notice."+name+"."+l, "textarea", false, nil)
				f.Label = q.T("inc.field.person_notice."+name) + " (" + q.T("lang."+l) + ")"
				texts = append(texts, f)
			}
		}
		v.Sections = append(v.Sections, incidentSection{Legend: q.T("inc.section.person_notice"), Help: q.T("inc.section.person_notice.help"), Fields: texts})
	}
	for _, s := range v.Sections {
		for _, f := range s.Fields {
			if f.Error != "" {
				v.Problems = append(v.Problems, consentProblem{Field: f.Name, Message: q.T("consents.problem", f.Label, f.Error)})
			}
		}
	}
	for path, msg := range errs {
		other = append(other, path+" : "+msg)
	}
	for _, msg := range other {
		v.Problems = append(v.Problems, consentProblem{Message: msg})
	}
	if err != nil {
		q.Status = http.StatusUnprocessableEntity
	}
	q.Nav = "incidents"
	q.Title = q.T("inc.declare")
	if inc != nil {
		q.Title = q.T("inc.edit", inc.Reference)
	}
	w.render(rw, r, "incident_form", v)
	return nil
}

// withDomainErrors adds to the form's own errors (a count that is not a
// number) those the domain finds in the rest, so that the user sees every
// problem at once.
func (w *Web) withDomainErrors(r *http.Request, q *req, in incident.Input, bad privaq.ValidationErrors) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return bad
	}
	_, err = in.Details(doc, time.Now())
	return append(bad, errorList(err)...)
}
