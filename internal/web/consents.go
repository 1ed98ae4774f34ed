package web

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/consent"
)

// The consent pages: a staff member records a consent received outside
// the organization's systems (on paper, by phone, by email, in person),
// and anyone who may read personal information looks up a person's
// history. The ledger itself is the trace of who entered what: the
// evidence names the account.

// consentChannels are the channels a person at a desk records; the
// others (web, banner, api) are the applications'.
var consentChannels = []string{"paper", "phone", "email", "form"}

// consentForm is the form as the user sent it, kept on an error.
type consentForm struct {
	Subject, Category, Purpose, Decision, Mode, Channel string
	GivenBy, Representative, ExpiresOn, Note, FormRef   string
}

// consentField is one input of the form, ready for the template.
type consentField struct {
	Name     string
	Kind     string // text, textarea, date, select, radio
	Label    string
	Help     string
	Required bool
	Value    string
	Options  []option
	Error    string
}

type consentSection struct {
	Legend string
	Fields []consentField
}

type consentFormView struct {
	*Page
	Sections []consentSection
	// Problems lists every error, linked to its field, above the form.
	Problems []consentProblem
}

type consentProblem struct {
	Field, Message string
}

func (w *Web) consentsEnabled() error {
	if w.Consents == nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	return nil
}

func (w *Web) handleConsentForm(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.consentsEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermConsentWrite); err != nil {
		return err
	}
	// Paper and phone consents are express as a rule, and most often the
	// person's own; the decision and the channel are left to choose.
	f := consentForm{Subject: r.URL.Query().Get("s"), Mode: string(consent.Express), GivenBy: string(consent.BySubject)}
	return w.showConsentForm(rw, r, q, f, nil)
}

func (w *Web) handleConsentRecord(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.consentsEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermConsentWrite); err != nil {
		return err
	}
	p := r.PostForm
	crlf := strings.NewReplacer("\r\n", "\n", "\r", "\n")
	f := consentForm{Subject: strings.TrimSpace(p.Get("subject")), Category: p.Get("subject_category"), Purpose: p.Get("purpose"),
		Decision: p.Get("decision"), Mode: p.Get("mode"), Channel: p.Get("channel"), GivenBy: p.Get("given_by"),
		Representative: strings.TrimSpace(p.Get("representative")), ExpiresOn: strings.TrimSpace(p.Get("expires_on")),
		Note: strings.TrimSpace(crlf.Replace(p.Get("note"))), FormRef: strings.TrimSpace(p.Get("form_ref"))}
	in := consent.Input{Subject: f.Subject, SubjectCategory: f.Category, Purpose: f.Purpose, Decision: consent.Decision(f.Decision),
		Mode: consent.Mode(f.Mode), Channel: f.Channel, GivenBy: consent.GivenBy(f.GivenBy), Representative: f.Representative}
	var bad privaq.ValidationErrors
	if f.Channel != "" && !has(consentChannels, f.Channel) {
		bad = append(bad, &privaq.Error{Code: privaq.EValidation, Field: "channel", Rule: "enum", Message: "choose one of the channels offered"})
	}
	if f.ExpiresOn != "" {
		// The consent stops at the start of that day, Quebec time.
		d, err := time.ParseInLocation(time.DateOnly, f.ExpiresOn, quebecTime())
		if err != nil {
			bad = append(bad, &privaq.Error{Code: privaq.EValidation, Field: "expires_on", Rule: "date", Message: "a date is required (YYYY-MM-DD)"})
		} else {
			in.ExpiresAt = &d
		}
	}
	ev, err := json.Marshal(struct {
		EnteredBy privaq.UserID `json:"entered_by_user"`
		Note      string        `json:"note,omitempty"`
		FormRef   string        `json:"form_ref,omitempty"`
	}{q.user.ID, f.Note, f.FormRef})
	if err != nil {
		return err
	}
	in.Evidence = ev
	if len(bad) > 0 {
		return w.showConsentForm(rw, r, q, f, bad)
	}
	res, err := w.Consents.Record(r.Context(), q.actor, q.org.ID, []consent.Input{in})
	if userError(err) {
		return w.showConsentForm(rw, r, q, f, err)
	}
	if err != nil {
		return err
	}
	v := url.Values{"s": {f.Subject}, "recorded": {strconv.FormatInt(res[0].Seq, 10)}, "hash": {hashPrefix(res[0].Hash)}}
	http.Redirect(rw, r, q.orgURL("consents", "subject")+"?"+v.Encode(), http.StatusSeeOther)
	return nil
}

// hashPrefix is the part of a hex hash shown to people: enough to tell
// records apart and to find one in a receipt.
func hashPrefix(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// consentFieldNames maps the fields of the domain's errors to the form's.
var consentFieldNames = map[string]string{"evidence": "note", "expires_at": "expires_on"}

// showConsentForm renders the form, with what the user typed and the
// errors beside their fields after a refusal.
func (w *Web) showConsentForm(rw http.ResponseWriter, r *http.Request, q *req, f consentForm, err error) error {
	doc, _, derr := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if derr != nil {
		return derr
	}
	errs := map[string]string{}
	var other []string
	for _, e := range errorList(err) {
		field := e.Field
		if n, ok := consentFieldNames[field]; ok {
			field = n
		}
		msg := w.localize(q, e)
		if key := "consents.err." + field + "." + e.Rule; e.Rule != "" && w.cat.Has(key) {
			msg = q.T(key)
		}
		if field == "" || field == "policy_version" {
			other = append(other, msg)
			continue
		}
		errs[field] = strings.TrimSpace(errs[field] + " " + msg)
	}
	if err != nil && len(errs) == 0 && len(other) == 0 {
		other = []string{q.T("error.internal")}
	}
	opts := func(values []string, selected, prefix string) []option {
		var out []option
		for _, v := range values {
			out = append(out, option{Value: v, Label: q.T(prefix + v), Selected: v == selected})
		}
		return out
	}
	var cats, purposes []option
	for _, c := range doc.SubjectCategories {
		cats = append(cats, option{Value: c.Key, Label: q.In(c.Name), Selected: c.Key == f.Category})
	}
	for _, p := range doc.Purposes {
		purposes = append(purposes, option{Value: p.Key, Label: q.In(p.Name), Selected: p.Key == f.Purpose})
	}
	field := func(name, kind, value string, required bool, options []option) consentField {
		cf := consentField{Name: name, Kind: kind, Label: q.T("consents.field." + name), Required: required, Value: value, Options: options, Error: errs[name]}
		if help := "consents.field." + name + ".help"; w.cat.Has(help) {
			cf.Help = q.T(help)
		}
		return cf
	}
	v := &consentFormView{Page: q.Page, Sections: []consentSection{
		{q.T("consents.section.person"), []consentField{
			field("subject", "text", f.Subject, true, nil),
			field("subject_category", "select", "", false, cats),
		}},
		{q.T("consents.section.consent"), []consentField{
			field("purpose", "select", "", true, purposes),
			field("decision", "radio", "", true, opts([]string{"granted", "refused", "withdrawn"}, f.Decision, "consents.decision.")),
			field("mode", "select", "", true, opts([]string{"express", "implied"}, f.Mode, "consents.mode.")),
			field("channel", "select", "", true, opts(consentChannels, f.Channel, "consents.channel.")),
			field("expires_on", "date", f.ExpiresOn, false, nil),
		}},
		{q.T("consents.section.given_by"), []consentField{
			field("given_by", "radio", "", true, opts([]string{"subject", "parental_authority", "representative"}, f.GivenBy, "consents.given_by.")),
			field("representative", "text", f.Representative, false, nil),
		}},
		{q.T("consents.section.evidence"), []consentField{
			field("form_ref", "text", f.FormRef, false, nil),
			field("note", "textarea", f.Note, false, nil),
		}},
	}}
	for _, s := range v.Sections {
		for _, cf := range s.Fields {
			if cf.Error != "" {
				v.Problems = append(v.Problems, consentProblem{Field: cf.Name, Message: q.T("consents.problem", cf.Label, cf.Error)})
			}
		}
	}
	for _, m := range other {
		v.Problems = append(v.Problems, consentProblem{Message: m})
	}
	if err != nil {
		q.Status = http.StatusUnprocessableEntity
	}
	q.Nav, q.Title = "consents", q.T("consents.new")
	w.render(rw, r, "consent_form", v)
	return nil
}

// consentsView is the search page and, with a subject, the person's
// history.
type consentsView struct {
	*Page
	Subject  string
	Error    string
	History  *consent.History
	purposes map[string]string
	cats     map[string]string
}

// PurposeName names a purpose in the page's language; a purpose since
// removed from the inventory keeps its key.
func (v *consentsView) PurposeName(key string) string {
	if n, ok := v.purposes[key]; ok && n != "" {
		return n
	}
	return key
}

// CategoryName names a subject category.
func (v *consentsView) CategoryName(key string) string {
	if n, ok := v.cats[key]; ok && n != "" {
		return n
	}
	return key
}

// Hash shows the beginning of a record's hash.
func (v *consentsView) Hash(h []byte) string { return hashPrefix(hex.EncodeToString(h)) }

// Evidence pretty-prints a record's evidence.
func (v *consentsView) Evidence(raw json.RawMessage) string {
	var b bytes.Buffer
	if len(raw) == 0 || json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// NewURL is the form to record a consent for the person shown.
func (v *consentsView) NewURL() string {
	u := "/admin/o/" + v.Org.Slug + "/consents/new"
	if v.Subject != "" {
		u += "?" + url.Values{"s": {v.Subject}}.Encode()
	}
	return u
}

func (w *Web) handleConsents(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.consentsEnabled(); err != nil {
		return err
	}
	if err := q.actor.Require(q.org.ID, privaq.PermPersonalRead); err != nil {
		return err
	}
	q.Nav, q.Title = "consents", q.T("nav.consents")
	w.render(rw, r, "consents", &consentsView{Page: q.Page})
	return nil
}

// handleConsentHistory shows one person's current state and records. The
// subject comes in the query string, never in the path, so that route
// labels and access logs keyed on the path do not carry it.
func (w *Web) handleConsentHistory(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.consentsEnabled(); err != nil {
		return err
	}
	query := r.URL.Query()
	v := &consentsView{Page: q.Page, Subject: strings.TrimSpace(query.Get("s"))}
	q.Nav, q.Title = "consents", q.T("nav.consents")
	if v.Subject == "" {
		if err := q.actor.Require(q.org.ID, privaq.PermPersonalRead); err != nil {
			return err
		}
		// An empty search is an error; no search at all (the language
		// switch keeps the path only) is the search page.
		if query.Has("s") {
			v.Error, q.Status = q.T("consents.err.subject.required"), http.StatusUnprocessableEntity
		}
		w.render(rw, r, "consents", v)
		return nil
	}
	h, err := w.Consents.History(r.Context(), q.actor, q.org.ID, v.Subject)
	if privaq.IsCode(err, privaq.EValidation) {
		v.Error, q.Status = q.T("consents.err.subject.text"), http.StatusUnprocessableEntity
		w.render(rw, r, "consents", v)
		return nil
	}
	if err != nil {
		return err
	}
	doc, _, err := w.Inventory.Document(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v.History, v.purposes, v.cats = &h, map[string]string{}, map[string]string{}
	for _, p := range doc.Purposes {
		v.purposes[p.Key] = q.In(p.Name)
	}
	for _, c := range doc.SubjectCategories {
		v.cats[c.Key] = q.In(c.Name)
	}
	// The flash after recording: only a number and a hex prefix are
	// echoed, so a crafted link cannot put words in the page's mouth.
	seq, hash := query.Get("recorded"), query.Get("hash")
	if _, err := strconv.ParseInt(seq, 10, 64); err == nil && isHex(hash) {
		q.Flash = q.T("consents.flash.recorded", seq, hash)
	}
	q.Title = q.T("consents.history")
	w.render(rw, r, "consents", v)
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return s != "" && len(s) <= 64 && err == nil
}
