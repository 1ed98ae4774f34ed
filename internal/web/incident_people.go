package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/incident"
)

// The people concerned by an incident and their notices: the CSV list is
// uploaded, checked and previewed before anything is stored; the notices
// go out by email through the outbox, and the people without an address
// are listed for a letter; each person's delivery is shown, and the list
// can be destroyed once the notices are done, keeping the counts.

// previewRows is how many people the import preview shows.
const previewRows = 20

type peopleView struct {
	*Page
	Inc incident.Incident
	// The import preview: the file's people, a sample, the file itself to
	// confirm, or its problems.
	CSV       string
	FileName  string
	Count     int
	WithEmail int
	Sample    []incident.Person
	Problems  []string
	// The list and its deliveries.
	People []incident.Person
	Sent   *incident.Sent
}

// State names a notice's state in the page's language.
func (v *peopleView) State(n *incident.NoticeState) string {
	if n == nil {
		return v.T("inc.people.state.none")
	}
	return v.T("inc.people.state." + n.State)
}

// LangName names a person's language.
func (v *peopleView) LangName(l string) string { return v.T("lang." + l) }

// handlePeopleUpload checks an uploaded list and shows a preview with a
// button that imports it: nothing is stored before the confirmation.
func (w *Web) handlePeopleUpload(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermIncidentManage); err != nil {
		return err
	}
	v := &peopleView{Page: q.Page, Inc: inc}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		v.Problems = []string{q.T("inc.people.no_file")}
		q.Status = http.StatusUnprocessableEntity
		return w.showPeople(rw, r, q, v, "incident_people_import")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxUpload))
	if err != nil {
		return err
	}
	v.FileName = hdr.Filename
	people, err := incident.ParsePeople(data, "fr")
	if userError(err) {
		for _, e := range errorList(err) {
			v.Problems = append(v.Problems, domainText(q, e))
		}
		q.Status = http.StatusUnprocessableEntity
		return w.showPeople(rw, r, q, v, "incident_people_import")
	}
	if err != nil {
		return err
	}
	v.CSV, v.Count = string(data), len(people)
	for _, p := range people {
		if p.Email != "" {
			v.WithEmail++
		}
	}
	v.Sample = people[:min(len(people), previewRows)]
	return w.showPeople(rw, r, q, v, "incident_people_import")
}

// handlePeopleConfirm imports the previewed list.
func (w *Web) handlePeopleConfirm(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	n, err := w.Incidents.ImportPeople(r.Context(), q.actor, q.org.ID, inc.ID, []byte(r.PostFormValue("csv")))
	if userError(err) {
		v := &peopleView{Page: q.Page, Inc: inc}
		for _, e := range errorList(err) {
			v.Problems = append(v.Problems, domainText(q, e))
		}
		q.Status = http.StatusUnprocessableEntity
		return w.showPeople(rw, r, q, v, "incident_people_import")
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?imported="+strconv.Itoa(n)+"#notices", http.StatusSeeOther)
	return nil
}

// handlePeople lists the people concerned and their deliveries: a read of
// personal information, recorded.
func (w *Web) handlePeople(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	people, err := w.Incidents.People(r.Context(), q.actor, q.org.ID, inc.ID)
	if err != nil {
		return err
	}
	return w.showPeople(rw, r, q, &peopleView{Page: q.Page, Inc: inc, People: people}, "incident_people")
}

// handleNoticesSend queues the notices and shows what went out and the
// letters to post.
func (w *Web) handleNoticesSend(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	sent, err := w.Incidents.SendNotices(r.Context(), q.actor, q.org.ID, inc.ID)
	var pe *privaq.Error
	if userError(err) && errors.As(err, &pe) {
		var msgs []string
		for _, e := range errorList(err) {
			msgs = append(msgs, domainText(q, e))
		}
		q.Flash, q.FlashError, q.Status = q.T("inc.send.refused", strings.Join(msgs, " ")), true, http.StatusUnprocessableEntity
		if pe.Code == privaq.EConflict {
			q.Status = http.StatusConflict
		}
		return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
	}
	if err != nil {
		return err
	}
	if inc, err = w.Incidents.Get(r.Context(), q.actor, q.org.ID, inc.ID); err != nil {
		return err
	}
	q.Flash = q.T("inc.send.done", sent.Queued, sent.ToPost, sent.Already)
	if !w.MailConfigured && sent.Queued > 0 {
		q.Flash += " " + q.T("inc.send.no_smtp")
	}
	return w.showPeople(rw, r, q, &peopleView{Page: q.Page, Inc: inc, Sent: &sent, People: sent.ByPost}, "incident_sent")
}

func (w *Web) handleNoticesPosted(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	n, err := w.Incidents.MarkPosted(r.Context(), q.actor, q.org.ID, inc.ID, r.PostFormValue("posted_at"))
	if userError(err) {
		q.Flash, q.FlashError, q.Status = w.localize(q, errorList(err)[0]), true, http.StatusUnprocessableEntity
		return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?posted="+strconv.Itoa(n)+"#notices", http.StatusSeeOther)
	return nil
}

func (w *Web) handlePeopleDestroy(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	err = w.Incidents.DestroyPeople(r.Context(), q.actor, q.org.ID, inc.ID)
	var pe *privaq.Error
	if privaq.IsCode(err, privaq.EConflict) && errors.As(err, &pe) {
		q.Flash, q.FlashError, q.Status = domainText(q, pe), true, http.StatusConflict
		return w.showIncident(rw, r, q, &incidentView{Page: q.Page, Inc: inc})
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.incidentURL(inc.ID)+"?destroyed="+url.QueryEscape(inc.Reference)+"#notices", http.StatusSeeOther)
	return nil
}

func (w *Web) showPeople(rw http.ResponseWriter, r *http.Request, q *req, v *peopleView, page string) error {
	q.Nav, q.Title = "incidents", q.T("inc.people.title", v.Inc.Reference)
	w.render(rw, r, page, v)
	return nil
}

// handleCAINoticePDF downloads the notice to the Commission.
func (w *Web) handleCAINoticePDF(rw http.ResponseWriter, r *http.Request, q *req) error {
	inc, err := w.incident(r, q)
	if err != nil {
		return err
	}
	n, err := w.Incidents.CAINotice(r.Context(), q.actor, q.org.ID, inc.ID, r.URL.Query().Get("in"))
	if userError(err) {
		return privaq.Errorf(privaq.ENotFound, "the notice is not complete")
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := n.PDF(&buf); err != nil {
		return err
	}
	download(rw, "application/pdf", "avis-cai-"+n.Reference+"-"+n.Lang+".pdf", buf.Bytes())
	return nil
}
