package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/org"
)

type profileView struct {
	*Page
	Doc    *inventory.Document
	Errors map[string]string
	Other  []string
}

// Err returns the error shown beside a field, if any.
func (v *profileView) Err(field string) string { return v.Errors[field] }

// HasLang reports whether the profile lists a language.
func (v *profileView) HasLang(l string) bool { return has(v.Doc.Org.Languages, l) }

func (w *Web) handleProfileForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	return w.showSection(rw, r, q, "profile", nil, nil)
}

func (w *Web) handleOfficerForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	return w.showSection(rw, r, q, "officer", nil, nil)
}

// showSection renders the profile or officer form, from the stored document
// or, after an error, from what the user typed (doc).
func (w *Web) showSection(rw http.ResponseWriter, r *http.Request, q *req, name string, doc *inventory.Document, err error) error {
	if doc == nil {
		var derr error
		if doc, _, derr = w.Inventory.Document(r.Context(), q.actor, q.org.ID); derr != nil {
			return derr
		}
	}
	v := &profileView{Page: q.Page, Doc: doc, Errors: map[string]string{}}
	if err != nil {
		v.Errors, v.Other = w.errorsByField(q, err)
		q.Status = http.StatusUnprocessableEntity
	}
	q.Nav, q.Title = name, q.T("nav."+name)
	w.render(rw, r, name, v)
	return nil
}

func (w *Web) handleProfileSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	f := r.PostForm
	doc.Org = inventory.Profile{Name: strings.TrimSpace(f.Get("name")), LegalName: strings.TrimSpace(f.Get("legal_name")),
		Regime: inventory.Regime(f.Get("regime")), Website: strings.TrimSpace(f.Get("website")),
		Address: strings.TrimSpace(f.Get("address")), Languages: f["languages"]}
	p := inventory.PolicySettings{AdoptedBy: strings.TrimSpace(f.Get("adopted_by")), AdoptedOn: inventory.Date(strings.TrimSpace(f.Get("adopted_on"))),
		ReconsentOnNewPurpose: f.Get("reconsent_on_new_purpose") != "", Paragraphs: doc.Policy.Paragraphs, Banner: doc.Policy.Banner}
	var bad privaq.ValidationErrors
	for _, n := range []struct {
		field string
		dst   *int
	}{{"notice_days", &p.NoticeDays}, {"request_delay_days", &p.RequestDelayDays}} {
		v, err := strconv.Atoi(strings.TrimSpace(f.Get(n.field)))
		if err != nil {
			bad = append(bad, &privaq.Error{Code: privaq.EValidation, Field: "policy." + n.field, Rule: "number", Message: "a whole number is required"})
		}
		*n.dst = v
	}
	doc.Policy = p
	if len(bad) > 0 {
		return w.showSection(rw, r, q, "profile", doc, bad)
	}
	// Profile and settings are saved together: one form, one change.
	_, err = w.Inventory.Replace(r.Context(), q.actor, q.org.ID, doc)
	if userError(err) {
		return w.showSection(rw, r, q, "profile", doc, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("profile")+"?saved=1", http.StatusSeeOther)
	return nil
}

func (w *Web) handleOfficerSave(rw http.ResponseWriter, r *http.Request, q *req) error {
	f := r.PostForm
	o := inventory.Officer{Name: strings.TrimSpace(f.Get("name")), Title: strings.TrimSpace(f.Get("title")),
		Email: strings.TrimSpace(f.Get("email")), Phone: strings.TrimSpace(f.Get("phone")), Address: strings.TrimSpace(f.Get("address"))}
	_, err := w.Inventory.SetOfficer(r.Context(), q.actor, q.org.ID, o)
	if userError(err) {
		doc, _, derr := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
		if derr != nil {
			return derr
		}
		doc.Officer = o
		return w.showSection(rw, r, q, "officer", doc, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("officer")+"?saved=1", http.StatusSeeOther)
	return nil
}

type dashboardView struct {
	*Page
	Counts   []collCount
	Findings map[string]int
	Officer  bool
	Consents *consentChart // nil without the ledger or the right to read consents
	Banner   *bannerRates  // nil likewise, or when no cookie needs a choice
	// Incidents counts the open incidents and those overdue; nil without
	// the register or the right to read it.
	Incidents *incidentCounts
}

type incidentCounts struct{ Open, Overdue int }

type collCount struct {
	Path, Name string
	N          int
}

func (w *Web) handleDashboard(rw http.ResponseWriter, r *http.Request, q *req) error {
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v := &dashboardView{Page: q.Page, Findings: map[string]int{}, Officer: !doc.Officer.IsZero()}
	for _, c := range inventory.Collections {
		v.Counts = append(v.Counts, collCount{c.Path(), q.T("coll." + c.Name()), len(c.Keys(doc))})
	}
	for _, f := range inventory.Check(doc) {
		v.Findings[string(f.Severity)]++
	}
	if w.Consents != nil && q.Can(string(privaq.PermConsentRead)) {
		if v.Consents, err = w.consentChart(r.Context(), q, doc); err != nil {
			return err
		}
		if v.Banner, err = w.bannerRates(r.Context(), q, doc); err != nil {
			return err
		}
	}
	if w.Incidents != nil && q.Can(string(privaq.PermIncidentRead)) {
		c := &incidentCounts{}
		if c.Open, c.Overdue, err = w.Incidents.Summary(r.Context(), q.actor, q.org.ID); err != nil {
			return err
		}
		v.Incidents = c
	}
	q.Nav, q.Title = "dashboard", q.T("nav.dashboard")
	w.render(rw, r, "dashboard", v)
	return nil
}

type checksView struct {
	*Page
	Findings []inventory.Finding
}

// FixURL links a finding to the page where it can be fixed.
func (v *checksView) FixURL(f inventory.Finding) string {
	base := "/admin/o/" + v.Org.Slug + "/"
	if c, ok := inventory.CollectionByName(f.Collection); ok {
		if f.Key != "" {
			return base + "inventory/" + c.Path() + "/" + f.Key
		}
		return base + "inventory/" + c.Path()
	}
	switch {
	case strings.HasPrefix(f.Field, "officer"):
		return base + "officer"
	case strings.HasPrefix(f.Field, "org"), strings.HasPrefix(f.Field, "policy"):
		return base + "profile"
	}
	return ""
}

func (w *Web) handleChecks(rw http.ResponseWriter, r *http.Request, q *req) error {
	fs, err := w.Inventory.Checks(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	q.Nav, q.Title = "checks", q.T("nav.checks")
	w.render(rw, r, "checks", &checksView{Page: q.Page, Findings: fs})
	return nil
}

type auditView struct {
	*Page
	Entries []audit.Entry
	Next    int64
}

func (w *Web) handleAudit(rw http.ResponseWriter, r *http.Request, q *req) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := audit.List(r.Context(), w.Audit, q.actor, q.org.ID, audit.Filter{Before: before, Limit: 100})
	if err != nil {
		return err
	}
	v := &auditView{Page: q.Page, Entries: es}
	if len(es) == 100 {
		v.Next = es[len(es)-1].ID
	}
	q.Nav, q.Title = "audit", q.T("nav.audit")
	w.render(rw, r, "audit", v)
	return nil
}

type transferView struct {
	*Page
	Errors []string
	Done   string
}

func (w *Web) handleTransfer(rw http.ResponseWriter, r *http.Request, q *req) error {
	q.Nav, q.Title = "transfer", q.T("nav.transfer")
	w.render(rw, r, "transfer", &transferView{Page: q.Page, Done: r.URL.Query().Get("imported")})
	return nil
}

func (w *Web) handleExport(rw http.ResponseWriter, r *http.Request, q *req) error {
	format := r.URL.Query().Get("format")
	if format != "json" {
		format = "yaml"
	}
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := doc.Encode(&buf, format); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", map[string]string{"json": "application/json", "yaml": "application/yaml"}[format]+"; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="`+q.org.Slug+`-inventory.`+format+`"`)
	rw.Write(buf.Bytes())
	return nil
}

func (w *Web) handleImport(rw http.ResponseWriter, r *http.Request, q *req) error {
	q.Nav, q.Title = "transfer", q.T("nav.transfer")
	v := &transferView{Page: q.Page}
	fail := func(msgs ...string) error {
		v.Errors, q.Status = msgs, http.StatusUnprocessableEntity
		w.render(rw, r, "transfer", v)
		return nil
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return fail(q.T("transfer.nofile"))
	}
	defer file.Close()
	format, err := inventory.FormatFromName(hdr.Filename)
	if err != nil {
		return fail(q.T("transfer.badformat"))
	}
	data, err := io.ReadAll(io.LimitReader(file, 10<<20+1))
	if err != nil {
		return err
	}
	doc, err := inventory.Parse(data, format)
	if err == nil {
		_, err = w.Inventory.Replace(r.Context(), q.actor, q.org.ID, doc)
	}
	if userError(err) || privaq.IsCode(err, privaq.ETooLarge) {
		var msgs []string
		for _, e := range errorList(err) {
			msg := w.localize(q, e)
			if e.Field != "" {
				msg = e.Field + " : " + msg
			}
			msgs = append(msgs, msg)
		}
		return fail(msgs...)
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("transfer")+"?imported=1", http.StatusSeeOther)
	return nil
}

type accessView struct {
	*Page
	Tokens   []org.Token
	Members  []org.Member
	NewToken string
	Password string
	NewEmail string
	Error    string
	Roles    []privaq.Role
}

func (w *Web) handleAccess(rw http.ResponseWriter, r *http.Request, q *req) error {
	return w.showAccess(rw, r, q, &accessView{})
}

func (w *Web) showAccess(rw http.ResponseWriter, r *http.Request, q *req, v *accessView) error {
	v.Page, v.Roles = q.Page, privaq.Roles
	var err error
	if v.Tokens, err = w.Orgs.Tokens(r.Context(), q.actor, q.org.ID); err != nil {
		return err
	}
	if v.Members, err = w.Orgs.Members(r.Context(), q.actor, q.org.ID); err != nil {
		return err
	}
	q.Nav, q.Title = "access", q.T("nav.access")
	w.render(rw, r, "access", v)
	return nil
}

func (w *Web) handleTokenCreate(rw http.ResponseWriter, r *http.Request, q *req) error {
	raw, _, err := w.Orgs.CreateToken(r.Context(), q.actor, q.org.ID, privaq.Role(r.PostFormValue("role")), r.PostFormValue("name"))
	if userError(err) {
		q.Status = http.StatusUnprocessableEntity
		return w.showAccess(rw, r, q, &accessView{Error: q.T("access.badrole")})
	}
	if err != nil {
		return err
	}
	// The secret is shown on this response only; it is never stored.
	return w.showAccess(rw, r, q, &accessView{NewToken: raw})
}

func (w *Web) handleTokenRevoke(rw http.ResponseWriter, r *http.Request, q *req) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return privaq.Errorf(privaq.ENotFound, "no such token")
	}
	if err := w.Orgs.RevokeToken(r.Context(), q.actor, q.org.ID, privaq.TokenID(id)); err != nil {
		return err
	}
	http.Redirect(rw, r, q.orgURL("access"), http.StatusSeeOther)
	return nil
}

func (w *Web) handleMemberAdd(rw http.ResponseWriter, r *http.Request, q *req) error {
	email := r.PostFormValue("email")
	_, pw, err := w.Orgs.AddUser(r.Context(), q.actor, q.org.ID, email, r.PostFormValue("name"), privaq.Role(r.PostFormValue("role")), "")
	if userError(err) {
		q.Status = http.StatusUnprocessableEntity
		return w.showAccess(rw, r, q, &accessView{Error: q.T("access.baduser"), NewEmail: email})
	}
	if err != nil {
		return err
	}
	return w.showAccess(rw, r, q, &accessView{Password: pw, NewEmail: email})
}

type orgsView struct {
	*Page
	Errors map[string]string
	Slug   string
	Name   string
}

func (w *Web) handleOrgs(rw http.ResponseWriter, r *http.Request, q *req) error {
	q.Title = q.T("orgs.title")
	w.render(rw, r, "orgs", &orgsView{Page: q.Page, Errors: map[string]string{}})
	return nil
}

func (w *Web) handleOrgCreate(rw http.ResponseWriter, r *http.Request, q *req) error {
	v := &orgsView{Page: q.Page, Errors: map[string]string{}, Slug: r.PostFormValue("slug"), Name: r.PostFormValue("name")}
	o, err := w.Orgs.CreateOrg(r.Context(), q.actor, v.Slug, v.Name, inventory.Regime(r.PostFormValue("regime")), q.Lang)
	if err == nil {
		actor := privaq.System(o.ID)
		_, _, err = w.Orgs.AddUser(r.Context(), actor, o.ID, q.user.Email, q.user.Name, privaq.RoleOfficer, "")
		if err == nil {
			http.Redirect(rw, r, "/admin/o/"+o.Slug+"/", http.StatusSeeOther)
			return nil
		}
	}
	var pe *privaq.Error
	if !errors.As(err, &pe) || !userError(err) {
		return err
	}
	if pe.Code == privaq.EConflict {
		v.Errors["slug"] = q.T("orgs.taken")
	} else {
		v.Errors[pe.Field] = w.localize(q, pe)
	}
	q.Title, q.Status = q.T("orgs.title"), http.StatusUnprocessableEntity
	w.render(rw, r, "orgs", v)
	return nil
}
