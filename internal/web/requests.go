package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/rights"
)

// The rights requests (SPEC §9): the list with due dates coloured by
// urgency, and each request's file, where staff verify the identity, keep
// notes, extend (public bodies), answer in writing or record a
// withdrawal. The rights service checks the roles again and audits every
// read.

func (w *Web) requestsEnabled(q *req) error {
	if w.Rights == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	return q.actor.Require(q.org.ID, privaq.PermRequestRead)
}

// requestRow is one request of the list.
type requestRow struct {
	rights.Request
	TypeName, StatusName, Received, Due string
}

type requestsView struct {
	*Page
	Rows         []requestRow
	Status, Type string
	Overdue      bool
	Stats        rights.Stats
	Options      []choice
	Types        []choice
	// StatTypes are the types that occur in Stats.Months, the columns of
	// the table of requests by month.
	StatTypes []choice
	StatRows  []statRow
}

// statRow is one month of the table: the count per StatTypes column.
type statRow struct {
	Month  string
	Counts []int
	Total  int
}

type choice struct{ Value, Label string }

func statusName(p *Page, r *rights.Request) string {
	if r.Overdue {
		return p.T("req.public.state.deemed_refused")
	}
	if r.Status == rights.StatusAnswered {
		return p.T("req.public.state.answered_" + string(r.Outcome))
	}
	return p.T("req.public.state." + string(r.Status))
}

func (w *Web) handleRequests(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	qs := r.URL.Query()
	v := &requestsView{Page: q.Page, Status: qs.Get("status"), Type: qs.Get("type"), Overdue: qs.Get("overdue") == "1"}
	for _, s := range rights.Statuses {
		v.Options = append(v.Options, choice{string(s), q.T("req.public.state." + statusKey(s))})
	}
	f := rights.Filter{}
	if v.Overdue {
		f.Overdue = &v.Overdue
	}
	for _, s := range rights.Statuses {
		if string(s) == v.Status {
			f.Status = s
		}
	}
	for _, t := range rights.Types {
		v.Types = append(v.Types, choice{string(t), q.T("req.type." + string(t))})
		if string(t) == v.Type {
			f.Type = t
		}
	}
	list, err := w.Rights.List(r.Context(), q.actor, q.org.ID, f)
	if err != nil {
		return err
	}
	for _, rq := range list {
		v.Rows = append(v.Rows, requestRow{Request: rq, TypeName: q.T("req.type." + string(rq.Type)), StatusName: statusName(q.Page, &rq),
			Received: rights.FormatDate(rq.ReceivedAt, q.Lang), Due: rights.FormatDate(rq.DueAt, q.Lang)})
	}
	if v.Stats, err = w.Rights.Stats(r.Context(), q.actor, q.org.ID); err != nil {
		return err
	}
	for _, t := range rights.Types {
		for _, m := range v.Stats.Months {
			if m.ByType[t] > 0 {
				v.StatTypes = append(v.StatTypes, choice{string(t), q.T("req.type." + string(t))})
				break
			}
		}
	}
	for _, m := range v.Stats.Months {
		row := statRow{Month: m.Month, Total: m.Total}
		for _, c := range v.StatTypes {
			row.Counts = append(row.Counts, m.ByType[rights.Type(c.Value)])
		}
		v.StatRows = append(v.StatRows, row)
	}
	q.Nav, q.Title = "requests", q.T("nav.requests")
	w.render(rw, r, "requests", v)
	return nil
}

// statusKey is the catalog key of a status; an answered request is named
// by its outcome elsewhere.
func statusKey(s rights.Status) string {
	if s == rights.StatusAnswered {
		return "answered_granted"
	}
	return string(s)
}

type requestView struct {
	*Page
	R                                   rights.Request
	TypeName, StatusName, Received, Due string
	Capacity                            string
	Methods, Outcomes                   []choice
	Error                               string
	Work                                requestWork
	Assignees                           []choice
	Documents                           []rights.Document
}

func requestIDOf(r *http.Request) (rights.ID, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "not found")
	}
	return rights.ID(id), nil
}

func (w *Web) handleRequest(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	id, err := requestIDOf(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Has("done") {
		q.Flash = q.T("req.admin.saved")
	}
	return w.showRequest(rw, r, q, id, nil)
}

func (w *Web) showRequest(rw http.ResponseWriter, r *http.Request, q *req, id rights.ID, actionErr error) error {
	rq, err := w.Rights.Get(r.Context(), q.actor, q.org.ID, id)
	if err != nil {
		return err
	}
	v := &requestView{Page: q.Page, R: rq, TypeName: q.T("req.type." + string(rq.Type)), StatusName: statusName(q.Page, &rq),
		Received: rights.FormatDate(rq.ReceivedAt, q.Lang), Due: rights.FormatDate(rq.DueAt, q.Lang)}
	if rq.Represented != nil {
		v.Capacity = q.T("req.capacity." + string(rq.Represented.Capacity))
	}
	if v.Work, err = w.requestWork(r, q, rq); err != nil {
		return err
	}
	if v.Documents, err = w.Rights.Documents(r.Context(), q.actor, q.org.ID, rq.ID); err != nil {
		return err
	}
	members, err := w.Rights.Assignees(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		label := m.Email
		if m.Name != "" {
			label = m.Name + " (" + m.Email + ")"
		}
		v.Assignees = append(v.Assignees, choice{strconv.FormatInt(int64(m.UserID), 10), label})
	}
	for _, m := range rights.IdentityMethods {
		v.Methods = append(v.Methods, choice{m, q.T("req.admin.method." + m)})
	}
	for _, o := range rights.Outcomes {
		v.Outcomes = append(v.Outcomes, choice{string(o), q.T("req.public.state.answered_" + string(o))})
	}
	if actionErr != nil {
		var pe *privaq.Error
		if errors.As(actionErr, &pe) {
			v.Error = localMessage(q.Page, actionErr)
		}
		q.Status = http.StatusUnprocessableEntity
		if privaq.IsCode(actionErr, privaq.EConflict) {
			q.Status = http.StatusConflict
		}
		if privaq.IsCode(actionErr, privaq.EForbidden) {
			q.Status = http.StatusForbidden
		}
	}
	q.Nav, q.Title = "requests", rq.Reference
	w.render(rw, r, "request", v)
	return nil
}

// handleRequestAction runs one of the file's forms, then shows the file
// again: with a confirmation, or with the refusal's reason.
func (w *Web) handleRequestAction(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	id, err := requestIDOf(r)
	if err != nil {
		return err
	}
	p := r.PostForm
	ctx, by := r.Context(), q.User.Email
	switch r.PathValue("action") {
	case "verify":
		_, err = w.Rights.VerifyIdentity(ctx, q.actor, q.org.ID, id, p.Get("method"), p.Get("note"), by)
	case "note":
		_, err = w.Rights.Note(ctx, q.actor, q.org.ID, id, p.Get("note"))
	case "start":
		_, err = w.Rights.Start(ctx, q.actor, q.org.ID, id)
	case "document":
		var data []byte
		name := ""
		if file, hdr, ferr := r.FormFile("file"); ferr == nil {
			data, err = io.ReadAll(io.LimitReader(file, rights.MaxDocument+1))
			file.Close()
			name = hdr.Filename
		}
		if err == nil {
			_, err = w.Rights.AddDocument(ctx, q.actor, q.org.ID, id, name, data)
		}
	case "documents_delete":
		_, err = w.Rights.DeleteDocuments(ctx, q.actor, q.org.ID, id)
	case "clarify":
		_, err = w.Rights.Clarify(ctx, q.actor, q.org.ID, id, p.Get("question"))
	case "extend":
		_, err = w.Rights.Extend(ctx, q.actor, q.org.ID, id, p.Get("reason"))
	case "withdraw":
		_, err = w.Rights.Withdraw(ctx, q.actor, q.org.ID, id, p.Get("note"))
	case "answer":
		var arts []string
		for _, a := range strings.Split(p.Get("articles"), ",") {
			arts = append(arts, strings.TrimSpace(a))
		}
		_, err = w.Rights.Answer(ctx, q.actor, q.org.ID, id, rights.Answer{Outcome: rights.Outcome(p.Get("outcome")),
			Reasons: rights.Text{FR: p.Get("reasons_fr"), EN: p.Get("reasons_en")}, Articles: arts})
	case "assign":
		user, _ := strconv.ParseInt(p.Get("assignee"), 10, 64)
		_, err = w.Rights.Assign(ctx, q.actor, q.org.ID, id, privaq.UserID(user))
	case "identifiers":
		_, err = w.Rights.SetIdentifiers(ctx, q.actor, q.org.ID, id, parseIdentifiers(p.Get("identifiers")))
	case "collect":
		_, err = w.Rights.Collect(ctx, q.actor, q.org.ID, id)
	case "erase":
		_, err = w.Rights.PlanErase(ctx, q.actor, q.org.ID, id)
	case "rectify":
		_, err = w.Rights.PlanRectify(ctx, q.actor, q.org.ID, id, parseCorrections(r))
	case "approve":
		run, _ := strconv.ParseInt(p.Get("run"), 10, 64)
		_, err = w.Rights.Approve(ctx, q.actor, q.org.ID, id, run, rights.RunKind(p.Get("kind")))
	default:
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	if err != nil {
		if userError(err) || privaq.IsCode(err, privaq.EForbidden) && r.PathValue("action") == "approve" {
			return w.showRequest(rw, r, q, id, err)
		}
		return err
	}
	http.Redirect(rw, r, q.orgURL("requests", strconv.FormatInt(int64(id), 10))+"?done=1", http.StatusSeeOther)
	return nil
}

// handleDocument downloads a kept copy of an identity document for the
// officer (audited).
func (w *Web) handleDocument(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	id, err := requestIDOf(r)
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(r.PathValue("doc"), 10, 64)
	d, data, err := w.Rights.DocumentData(r.Context(), q.actor, q.org.ID, id, n)
	if err != nil {
		return err
	}
	download(rw, d.ContentType, "identity-"+strconv.FormatInt(int64(id), 10)+"-"+strconv.FormatInt(d.ID, 10)+extension(d.ContentType), data)
	return nil
}

func extension(contentType string) string {
	return map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[contentType]
}

// handleLetterPDF downloads one letter of the file as a PDF.
func (w *Web) handleLetterPDF(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	id, err := requestIDOf(r)
	if err != nil {
		return err
	}
	rq, err := w.Rights.Get(r.Context(), q.actor, q.org.ID, id)
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(r.PathValue("letter"), 10, 64)
	for _, l := range rq.Letters {
		if l.ID == n {
			var buf bytes.Buffer
			if err := l.PDF(&buf, q.org.Name, rq.Reference); err != nil {
				return err
			}
			download(rw, "application/pdf", rq.Reference+"-"+string(l.Kind)+".pdf", buf.Bytes())
			return nil
		}
	}
	return privaq.Errorf(privaq.ENotFound, "not found")
}
