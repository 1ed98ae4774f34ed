package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/webhook"
)

// The webhook pages (SPEC §7): the endpoints an organization registered,
// with what happened to each event posted to them. Anyone who may read
// consent state sees them, as in the API; only those who manage access
// add or delete an endpoint, since its secret lets a receiver trust what
// it is told about withdrawals.

// webhookRow is one endpoint of the list with a summary of its latest
// deliveries.
type webhookRow struct {
	webhook.Endpoint
	// Last is the newest delivery, nil when none was queued yet.
	Last                       *webhook.Delivery
	Delivered, Pending, Failed int
}

// webhookForm is the add form as the user sent it, kept on an error.
type webhookForm struct {
	URL       string
	Withdrawn bool
	Every     bool
}

type webhooksView struct {
	*Page
	Endpoints []webhookRow
	Form      webhookForm
	// Created is the endpoint just added, with the secret shown this once.
	Created *webhook.NewEndpoint
	Errors  map[string]string // by form field: url, events
	// Problems lists every error above the form, linked to its field.
	Problems []consentProblem
	Full     bool // the organization has webhook.MaxEndpoints
	Max      int
	Recent   int // how many deliveries the counts cover
}

// Err returns the error shown beside a field.
func (v *webhooksView) Err(field string) string { return v.Errors[field] }

// EventNames lists an endpoint's events in the page's language.
func (v *webhooksView) EventNames(events []string) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = v.T("webhooks.event." + e)
	}
	return strings.Join(names, ", ")
}

func (w *Web) webhooksEnabled() error {
	if w.Webhooks == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	return nil
}

func (w *Web) handleWebhooks(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.webhooksEnabled(); err != nil {
		return err
	}
	v := &webhooksView{Page: q.Page, Form: webhookForm{Withdrawn: true}}
	if r.URL.Query().Has("removed") {
		q.Flash = q.T("webhooks.flash.deleted")
	}
	return w.showWebhooks(rw, r, q, v)
}

func (w *Web) handleWebhookCreate(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.webhooksEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermManageAccess); err != nil {
		return err
	}
	p := r.PostForm
	f := webhookForm{URL: strings.TrimSpace(p.Get("url")), Withdrawn: has(p["events"], webhook.EventWithdrawn), Every: has(p["events"], webhook.EventRecorded)}
	v := &webhooksView{Page: q.Page, Form: f, Errors: map[string]string{}}
	// Both fields are checked before anything is written, so that the
	// user sees every problem at once; the service checks them again.
	if f.URL == "" {
		v.Errors["url"] = q.T("webhooks.err.url_required")
	} else if _, err := webhook.CheckURL(f.URL); err != nil {
		v.Errors["url"] = q.T("webhooks.err.url")
	}
	var events []string
	for _, e := range webhook.Events {
		if has(p["events"], e) {
			events = append(events, e)
		}
	}
	if !f.Withdrawn {
		// Without the box, the service would default to withdrawals only:
		// a form that asks nothing, or only for the other records, is
		// refused rather than silently widened or narrowed.
		v.Errors["events"] = q.T("webhooks.err.events")
	}
	if len(v.Errors) > 0 {
		return w.refuseWebhook(rw, r, q, v)
	}
	e, err := w.Webhooks.Create(r.Context(), q.actor, q.org.ID, f.URL, events)
	switch {
	case privaq.IsCode(err, privaq.EConflict):
		v.Problems = append(v.Problems, consentProblem{Message: q.T("webhooks.err.max", webhook.MaxEndpoints)})
		return w.refuseWebhook(rw, r, q, v)
	case privaq.IsCode(err, privaq.EValidation):
		for _, fe := range errorList(err) {
			if strings.HasPrefix(fe.Field, "events") {
				v.Errors["events"] = q.T("webhooks.err.events")
			} else {
				v.Errors["url"] = q.T("webhooks.err.url")
			}
		}
		return w.refuseWebhook(rw, r, q, v)
	case err != nil:
		return err
	}
	// The secret is on this response only: the list never shows it again.
	v.Created, v.Form = &e, webhookForm{Withdrawn: true}
	return w.showWebhooks(rw, r, q, v)
}

// refuseWebhook shows the list again with the form as sent and its
// errors.
func (w *Web) refuseWebhook(rw http.ResponseWriter, r *http.Request, q *req, v *webhooksView) error {
	for _, field := range []string{"url", "events"} {
		if msg := v.Errors[field]; msg != "" {
			v.Problems = append(v.Problems, consentProblem{Field: field, Message: q.T("consents.problem", q.T("webhooks.field."+field), msg)})
		}
	}
	q.Status = http.StatusUnprocessableEntity
	return w.showWebhooks(rw, r, q, v)
}

func (w *Web) showWebhooks(rw http.ResponseWriter, r *http.Request, q *req, v *webhooksView) error {
	es, err := w.Webhooks.List(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v.Max, v.Recent, v.Full = webhook.MaxEndpoints, webhook.RecentDeliveries, len(es) >= webhook.MaxEndpoints
	for _, e := range es {
		row, err := w.webhookRow(r.Context(), q, e)
		if err != nil {
			return err
		}
		v.Endpoints = append(v.Endpoints, row)
	}
	q.Nav, q.Title = "webhooks", q.T("nav.webhooks")
	w.render(rw, r, "webhooks", v)
	return nil
}

// webhookRow sums up an endpoint's latest deliveries (those the service
// lists; older ones that are over are pruned after 30 days anyway).
func (w *Web) webhookRow(ctx context.Context, q *req, e webhook.Endpoint) (webhookRow, error) {
	row := webhookRow{Endpoint: e}
	ds, err := w.Webhooks.Deliveries(ctx, q.actor, q.org.ID, e.ID)
	if privaq.IsCode(err, privaq.ENotFound) {
		// Deleted between the list and this read: shown without deliveries.
		return row, nil
	}
	if err != nil {
		return row, err
	}
	if len(ds) > 0 {
		row.Last = &ds[0]
	}
	for _, d := range ds {
		switch d.Status {
		case webhook.StatusDelivered:
			row.Delivered++
		case webhook.StatusPending:
			row.Pending++
		case webhook.StatusFailed:
			row.Failed++
		}
	}
	return row, nil
}

// webhookEndpoint finds an endpoint of the organization by the {webhook}
// of the path; another organization's is not found.
func (w *Web) webhookEndpoint(r *http.Request, q *req) (webhook.Endpoint, error) {
	if err := w.webhooksEnabled(); err != nil {
		return webhook.Endpoint{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("webhook"), 10, 64)
	if err != nil || id < 1 {
		return webhook.Endpoint{}, privaq.Errorf(privaq.ENotFound, "webhook endpoint not found")
	}
	es, err := w.Webhooks.List(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return webhook.Endpoint{}, err
	}
	i := slices.IndexFunc(es, func(e webhook.Endpoint) bool { return e.ID == id })
	if i < 0 {
		return webhook.Endpoint{}, privaq.Errorf(privaq.ENotFound, "webhook endpoint not found")
	}
	return es[i], nil
}

type webhookDeliveriesView struct {
	*webhooksView
	Endpoint   webhook.Endpoint
	Deliveries []webhook.Delivery
	Pending    int // deliveries the deletion drops
	// MaxAttempts is how many times a delivery is tried before it fails.
	MaxAttempts int
}

// Time shows an attempt's time to the second, in UTC like the other
// dates of the admin.
func (v *webhookDeliveriesView) Time(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05")
}

// Duration shows how long an attempt took.
func (v *webhookDeliveriesView) Duration(a webhook.Attempt) string {
	if a.Duration > 0 && a.Duration < time.Millisecond {
		return "< 1 ms"
	}
	return fmt.Sprintf("%d ms", a.DurationMS)
}

// Open says whether a delivery's attempts are shown unfolded: all but a
// delivery that succeeded at once.
func (v *webhookDeliveriesView) Open(d webhook.Delivery) bool {
	return d.Status != webhook.StatusDelivered || d.Attempts > 1
}

func (w *Web) handleWebhookDeliveries(rw http.ResponseWriter, r *http.Request, q *req) error {
	e, err := w.webhookEndpoint(r, q)
	if err != nil {
		return err
	}
	ds, err := w.Webhooks.Deliveries(r.Context(), q.actor, q.org.ID, e.ID)
	if err != nil {
		return err
	}
	v := &webhookDeliveriesView{webhooksView: &webhooksView{Page: q.Page, Recent: webhook.RecentDeliveries}, Endpoint: e, Deliveries: ds,
		MaxAttempts: webhook.MaxAttempts}
	q.Nav, q.Title = "webhooks", q.T("webhooks.deliveries")
	w.render(rw, r, "webhooks_deliveries", v)
	return nil
}

// handleWebhookDeleteForm asks for a confirmation, saying what goes with
// the endpoint.
func (w *Web) handleWebhookDeleteForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.webhooksEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermManageAccess); err != nil {
		return err
	}
	e, err := w.webhookEndpoint(r, q)
	if err != nil {
		return err
	}
	row, err := w.webhookRow(r.Context(), q, e)
	if err != nil {
		return err
	}
	v := &webhookDeliveriesView{webhooksView: &webhooksView{Page: q.Page, Recent: webhook.RecentDeliveries}, Endpoint: e, Pending: row.Pending}
	q.Nav, q.Title = "webhooks", q.T("webhooks.delete.title")
	w.render(rw, r, "webhooks_delete", v)
	return nil
}

func (w *Web) handleWebhookDelete(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.webhooksEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermManageAccess); err != nil {
		return err
	}
	e, err := w.webhookEndpoint(r, q)
	if err != nil {
		return err
	}
	if err := w.Webhooks.Delete(r.Context(), q.actor, q.org.ID, e.ID); err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("webhooks")+"?removed=1", http.StatusSeeOther)
	return nil
}
