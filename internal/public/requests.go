package public

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/rights"
)

// The public side of rights requests (SPEC §9): the form anyone may fill
// in, without JavaScript; the confirmation of the email address; the
// status page the acknowledgement links to. The form resists robots with
// a hidden field, a per-network rate limit and the email confirmation,
// and no third-party captcha.

type option struct{ Value, Label string }

// requestForm is the form's input, kept on errors.
type requestForm struct {
	Type, Name, Email, Phone, Details, RepName, RepCapacity string
}

type requestView struct {
	*Page
	State      string // form, sent, confirm, confirmed, status, bad_link
	Token      string
	Form       requestForm
	Errors     map[string]string
	Types      []option
	Capacities []option
	Request    *rights.Request
	TypeName   string
	StatusName string
	Received   string
	Due        string
	StatusURL  string
	Downloads  []rights.Export
}

// Err returns the form's error for a field.
func (v *requestView) Err(field string) string { return v.Errors[field] }

func (p *Public) requestRoutes(mux *http.ServeMux, o string) {
	cop := http.NewCrossOriginProtection()
	post := func(h handler) http.Handler { return cop.Handler(http.MaxBytesHandler(p.serve(h), 32<<10)) }
	mux.HandleFunc("GET "+o+"/requests/new", p.serve(p.handleRequestForm))
	mux.Handle("POST "+o+"/requests/new", post(p.handleRequestSubmit))
	mux.HandleFunc("GET "+o+"/requests/confirm", p.serve(p.handleRequestConfirmForm))
	mux.Handle("POST "+o+"/requests/confirm", post(p.handleRequestConfirm))
	mux.HandleFunc("GET "+o+"/requests/status", p.serve(p.handleRequestStatus))
	mux.HandleFunc("GET "+o+"/requests/download", p.handleRequestDownload)
}

func (p *Public) requestPage(pg *Page, state string) *requestView {
	pg.Title = pg.T("req.public.title") + " · " + pg.Org.Name
	v := &requestView{Page: pg, State: state, Errors: map[string]string{}}
	for _, t := range rights.Types {
		v.Types = append(v.Types, option{string(t), pg.T("req.type." + string(t))})
	}
	for _, c := range rights.Capacities {
		v.Capacities = append(v.Capacities, option{string(c), pg.T("req.capacity." + string(c))})
	}
	return v
}

func (p *Public) handleRequestForm(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	state := "form"
	if r.URL.Query().Get("sent") == "1" {
		state = "sent"
	}
	v := p.requestPage(pg, state)
	v.Form.Type = r.URL.Query().Get("type")
	return "request", v, nil
}

// formFields maps the service's field paths to the form's inputs.
var formFields = map[string]string{"type": "type", "requester.name": "name", "requester.email": "email", "requester.phone": "phone",
	"details": "details", "represented.name": "rep_name", "represented.capacity": "rep_capacity"}

func (p *Public) handleRequestSubmit(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	v := p.requestPage(pg, "form")
	if err := r.ParseForm(); err != nil {
		pg.Status = http.StatusBadRequest
		v.Errors["form"] = pg.T("req.public.bad_form")
		return "request", v, nil
	}
	f := r.PostForm
	v.Form = requestForm{Type: f.Get("type"), Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"), Details: f.Get("details"),
		RepName: f.Get("rep_name"), RepCapacity: f.Get("rep_capacity")}
	in := rights.Input{Type: rights.Type(v.Form.Type), Requester: rights.Person{Name: v.Form.Name, Email: v.Form.Email, Phone: v.Form.Phone},
		Details: v.Form.Details, Lang: pg.Lang}
	if strings.TrimSpace(v.Form.RepName) != "" || v.Form.RepCapacity != "" {
		in.Represented = &rights.Represented{Name: v.Form.RepName, Capacity: rights.Capacity(v.Form.RepCapacity)}
	}
	// A robot that fills in the hidden field is told its request went
	// through; nothing is recorded or sent.
	if f.Get("website") == "" {
		err := p.Rights.Submit(r.Context(), pg.Org.ID, in, audit.TruncateIP(r.RemoteAddr))
		if err != nil {
			status, _ := userError(pg, err)
			if status == 0 {
				return "", nil, err
			}
			pg.Status = status
			for _, e := range errorList(err) {
				msg := e.Message
				if pg.Lang == "fr" && e.FR != "" {
					msg = e.FR
				}
				if field, ok := formFields[e.Field]; ok {
					if v.Errors[field] == "" {
						v.Errors[field] = msg
					}
				} else {
					v.Errors["form"] = msg
				}
			}
			return "request", v, nil
		}
	}
	http.Redirect(w, r, "/o/"+pg.Org.Slug+"/requests/new?sent=1&lang="+pg.Lang, http.StatusSeeOther)
	return "", nil, errAnswered
}

// The link's GET only shows a button: mail scanners open links and must
// not confirm anything. The POST confirms.
func (p *Public) handleRequestConfirmForm(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	v := p.requestPage(pg, "confirm")
	v.Token = r.URL.Query().Get("t")
	if strings.TrimSpace(v.Token) == "" {
		pg.Status, v.State = http.StatusBadRequest, "bad_link"
	}
	return "request", v, nil
}

func (p *Public) handleRequestConfirm(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	v := p.requestPage(pg, "confirmed")
	if err := r.ParseForm(); err != nil {
		pg.Status, v.State = http.StatusBadRequest, "bad_link"
		return "request", v, nil
	}
	rq, status, err := p.Rights.Confirm(r.Context(), pg.Org.ID, r.PostForm.Get("t"))
	if code, _ := userError(pg, err); code != 0 {
		pg.Status, v.State = code, "bad_link"
		return "request", v, nil
	} else if err != nil {
		return "", nil, err
	}
	p.describe(v, &rq)
	v.StatusURL = "/o/" + pg.Org.Slug + "/requests/status?t=" + status + "&lang=" + pg.Lang
	return "request", v, nil
}

func (p *Public) handleRequestStatus(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	v := p.requestPage(pg, "status")
	rq, err := p.Rights.Status(r.Context(), pg.Org.ID, r.URL.Query().Get("t"))
	if code, _ := userError(pg, err); code != 0 {
		pg.Status, v.State = code, "bad_link"
		return "request", v, nil
	} else if err != nil {
		return "", nil, err
	}
	// The status link is a secret: the page must not be cached or sent
	// as a referrer.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	p.describe(v, &rq)
	v.Token = r.URL.Query().Get("t")
	if v.Downloads, err = p.Rights.Downloads(r.Context(), pg.Org.ID, v.Token); err != nil {
		return "", nil, err
	}
	return "request", v, nil
}

// handleRequestDownload sends the requester an access archive, through
// the same secret link as the status page, until the archive expires.
func (p *Public) handleRequestDownload(w http.ResponseWriter, r *http.Request) {
	org, err := p.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
	n, perr := strconv.ParseInt(r.URL.Query().Get("x"), 10, 64)
	var x rights.Export
	var data []byte
	if err == nil && perr == nil {
		_, x, data, err = p.Rights.Download(r.Context(), org.ID, r.URL.Query().Get("t"), n)
	}
	if err != nil || perr != nil {
		if err != nil && !privaq.IsCode(err, privaq.ENotFound) {
			p.Log.Error("request_download", "err", err)
		}
		http.Error(w, "This download link is not valid or has expired. / Ce lien de téléchargement n’est pas valide ou a expiré.", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+x.FileName()+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (p *Public) describe(v *requestView, rq *rights.Request) {
	v.Request = rq
	v.TypeName = v.T("req.type." + string(rq.Type))
	state := string(rq.Status)
	if rq.Overdue {
		state = "deemed_refused"
	} else if rq.Status == "answered" {
		state = "answered_" + string(rq.Outcome)
	}
	v.StatusName = v.T("req.public.state." + state)
	v.Received, v.Due = rights.FormatDate(rq.ReceivedAt, v.Lang), rights.FormatDate(rq.DueAt, v.Lang)
}

// errorList flattens an error into its field errors.
func errorList(err error) privaq.ValidationErrors {
	var v privaq.ValidationErrors
	if errors.As(err, &v) {
		return v
	}
	var e *privaq.Error
	if errors.As(err, &e) {
		return privaq.ValidationErrors{e}
	}
	return nil
}
