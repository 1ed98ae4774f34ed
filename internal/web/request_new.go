package web

import (
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/rights"
)

// The form where staff enter a request received by mail, phone, email or
// in person (SPEC §9). Its delay counts from the day of receipt, which
// staff give; the acknowledgement goes out as for a request filed online.

type requestNewView struct {
	*Page
	Types, Channels, Capacities, Laws []choice
	In                                rights.Input
	RepName, RepCapacity              string
	Errors                            []string
}

func (w *Web) requestNewView(q *req, in rights.Input) *requestNewView {
	v := &requestNewView{Page: q.Page, In: in}
	for _, t := range rights.Types {
		v.Types = append(v.Types, choice{string(t), q.T("req.type." + string(t))})
	}
	for _, c := range rights.Channels {
		if c != rights.ChannelWeb {
			v.Channels = append(v.Channels, choice{string(c), q.T("req.admin.channel." + string(c))})
		}
	}
	for _, c := range rights.Capacities {
		v.Capacities = append(v.Capacities, choice{string(c), q.T("req.capacity." + string(c))})
	}
	for _, l := range []rights.Law{rights.LawPublic, rights.LawPrivate} {
		v.Laws = append(v.Laws, choice{string(l), q.T("req.admin.law." + string(l))})
	}
	if in.Represented != nil {
		v.RepName, v.RepCapacity = in.Represented.Name, string(in.Represented.Capacity)
	}
	return v
}

func (w *Web) handleRequestNew(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermRequestManage); err != nil {
		return err
	}
	q.Nav, q.Title = "requests", q.T("req.admin.new")
	w.render(rw, r, "request_new", w.requestNewView(q, rights.Input{Channel: rights.ChannelMail, Lang: q.Lang}))
	return nil
}

func (w *Web) handleRequestCreate(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	f := r.PostForm
	in := rights.Input{Type: rights.Type(f.Get("type")), Channel: rights.Channel(f.Get("channel")), ReceivedAt: f.Get("received_at"),
		Law: rights.Law(f.Get("law")), Lang: f.Get("lang"), Details: f.Get("details"),
		Requester: rights.Person{Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone")}}
	if name := strings.TrimSpace(f.Get("rep_name")); name != "" || f.Get("rep_capacity") != "" {
		in.Represented = &rights.Represented{Name: name, Capacity: rights.Capacity(f.Get("rep_capacity"))}
	}
	rq, err := w.Rights.Create(r.Context(), q.actor, q.org.ID, in)
	if err != nil {
		if !userError(err) {
			return err
		}
		v := w.requestNewView(q, in)
		for _, e := range errorsOf(err) {
			v.Errors = append(v.Errors, localMessage(q.Page, e))
		}
		q.Status, q.Nav, q.Title = http.StatusUnprocessableEntity, "requests", q.T("req.admin.new")
		w.render(rw, r, "request_new", v)
		return nil
	}
	http.Redirect(rw, r, q.orgURL("requests", strconv.FormatInt(int64(rq.ID), 10))+"?done=1", http.StatusSeeOther)
	return nil
}

// errorsOf lists every field error in err.
func errorsOf(err error) []error {
	if v, ok := err.(privaq.ValidationErrors); ok {
		out := make([]error, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	}
	return []error{err}
}
