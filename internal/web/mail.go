package web

import (
	"net/http"
	"regexp"
	"strconv"

	"privaq"
	"privaq/internal/mail"
	"privaq/internal/policy"
)

type mailView struct {
	*Page
	Messages []mail.Message
	Next     int64
	SMTP     bool
	// Confirmed and Pending count the subscribers to change notices.
	Confirmed, Pending int
}

// handleMail lists the organization's outbox: what was sent, what waits
// for a retry or for an SMTP server, and what failed.
func (w *Web) handleMail(rw http.ResponseWriter, r *http.Request, q *req) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	ms, err := w.Outbox.List(r.Context(), q.actor, q.org.ID, before)
	if err != nil {
		return err
	}
	v := &mailView{Page: q.Page, Messages: ms, SMTP: w.MailConfigured}
	if len(ms) == mail.PageSize {
		v.Next = ms[len(ms)-1].ID
	}
	counts, err := w.Policies.SubscriberCounts(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v.Confirmed, v.Pending = counts[policy.SubConfirmed], counts[policy.SubPending]
	q.Nav, q.Title = "mail", q.T("nav.mail")
	w.render(rw, r, "mail", v)
	return nil
}

var tokenRE = regexp.MustCompile(`t=[A-Za-z0-9_-]{20,}`)

type messageView struct {
	*Page
	Message mail.Message
}

// handleMessage shows one message in full; the read is audited.
func (w *Web) handleMessage(rw http.ResponseWriter, r *http.Request, q *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return privaq.Errorf(privaq.ENotFound, "no such message")
	}
	m, err := w.Outbox.Read(r.Context(), q.actor, q.org.ID, id)
	if err != nil {
		return err
	}
	// The links' tokens would let a reader confirm or end someone's
	// subscription in their place.
	m.Text = tokenRE.ReplaceAllString(m.Text, "t=[…]")
	q.Nav, q.Title = "mail", m.Subject
	w.render(rw, r, "message", &messageView{Page: q.Page, Message: m})
	return nil
}
