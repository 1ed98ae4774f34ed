package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

// publishForm is the publication form of one draft, as the user sent it.
type publishForm struct {
	Number                                    int
	EffectiveOn, SummaryFR, SummaryEN, Reason string
	Editorial                                 bool
	Errors                                    map[string]string
	Other                                     []string
}

// Err returns the error shown beside a field of the form.
func (f *publishForm) Err(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// For returns the form of draft n: the one sent back, or an empty one.
func (v *policyView) For(n int) *publishForm {
	if v.Publish != nil && v.Publish.Number == n {
		return v.Publish
	}
	return &publishForm{Number: n}
}

// showPolicy adds the versions to the preview page and renders it.
func (w *Web) showPolicy(rw http.ResponseWriter, r *http.Request, q *req, v *policyView) error {
	if w.Policies != nil {
		vs, err := w.Policies.Versions(r.Context(), q.actor, q.org.ID)
		if err != nil {
			return err
		}
		v.Versions = vs
	}
	query := r.URL.Query()
	if n := query.Get("drafted"); n != "" {
		q.Flash = q.T("policy.flash.drafted", n)
	} else if n := query.Get("published"); n != "" {
		q.Flash = q.T("policy.flash.published", n)
	}
	w.render(rw, r, "policy", v)
	return nil
}

func (w *Web) handlePolicyDraft(rw http.ResponseWriter, r *http.Request, q *req) error {
	if w.Policies == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	v, err := w.Policies.CreateDraft(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("policy")+"?drafted="+strconv.Itoa(v.Number), http.StatusSeeOther)
	return nil
}

// quebecTime is the zone of the dates typed in the form; without the time
// zone database, dates are read in UTC.
func quebecTime() *time.Location {
	if loc, err := time.LoadLocation("America/Toronto"); err == nil {
		return loc
	}
	return time.UTC
}

func (w *Web) handlePolicyPublish(rw http.ResponseWriter, r *http.Request, q *req) error {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || w.Policies == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	f := r.PostForm
	form := &publishForm{Number: n, EffectiveOn: strings.TrimSpace(f.Get("effective_on")), SummaryFR: strings.TrimSpace(f.Get("summary_fr")),
		SummaryEN: strings.TrimSpace(f.Get("summary_en")), Reason: strings.TrimSpace(f.Get("reason")), Editorial: f.Get("editorial") != "",
		Errors: map[string]string{}}
	p := policy.Publication{Summary: inventory.Text{FR: form.SummaryFR, EN: form.SummaryEN}, Editorial: form.Editorial, Reason: form.Reason}
	if form.EffectiveOn != "" {
		day, perr := time.ParseInLocation("2006-01-02", form.EffectiveOn, quebecTime())
		if perr != nil {
			err = &privaq.Error{Code: privaq.EValidation, Field: "effective_at", Rule: "policy.date", Message: "a date is required, as YYYY-MM-DD"}
		}
		p.EffectiveAt = day
	}
	if err == nil {
		_, err = w.Policies.Publish(r.Context(), q.actor, policy.Org{ID: q.org.ID, Slug: q.org.Slug}, n, p)
	}
	if err == nil {
		http.Redirect(rw, r, q.orgURL("policy")+"?published="+strconv.Itoa(n), http.StatusSeeOther)
		return nil
	}
	if !userError(err) {
		return err
	}
	form.Errors, form.Other = w.errorsByField(q, err)
	q.Status = http.StatusUnprocessableEntity
	r.URL.RawQuery = ""
	return w.policyPage(rw, r, q, q.Lang, form)
}
