package public

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/policy"
)

// The subscription pages (SPEC §6): a form, the page that asks to check
// one's mail, and the confirmation and unsubscribe links. A link's GET
// only shows a button: mail scanners open links, and must not confirm or
// unsubscribe anyone. The POST does it.

// subscribeView is every state of the subscription pages.
type subscribeView struct {
	*Page
	State string // form, sent, confirm, confirmed, unsubscribe, unsubscribed, bad_link
	Token string
	subscribeForm
}

const maxFormBytes = 8 << 10

func (p *Public) subscribeRoutes(mux *http.ServeMux, o string) {
	// Public forms have no session to hold a token: cross-origin posts are
	// refused from the browser's Sec-Fetch-Site and Origin headers. A
	// one-click unsubscribe (RFC 8058) comes from a mail server without
	// them, and passes.
	cop := http.NewCrossOriginProtection()
	post := func(h handler) http.Handler {
		return cop.Handler(http.MaxBytesHandler(p.serve(h), maxFormBytes))
	}
	mux.HandleFunc("GET "+o+"/privacy/subscribe", p.serve(p.handleSubscribeForm))
	mux.Handle("POST "+o+"/privacy/subscribe", cop.Handler(http.MaxBytesHandler(http.HandlerFunc(p.handleSubscribe), maxFormBytes)))
	mux.HandleFunc("GET "+o+"/privacy/subscribe/confirm", p.serve(p.tokenPage("confirm")))
	mux.Handle("POST "+o+"/privacy/subscribe/confirm", post(p.handleConfirm))
	mux.HandleFunc("GET "+o+"/privacy/unsubscribe", p.serve(p.tokenPage("unsubscribe")))
	mux.Handle("POST "+o+"/privacy/unsubscribe", post(p.handleUnsubscribe))
}

func (p *Public) subscribePage(pg *Page, state string) *subscribeView {
	pg.Title = pg.T("subscribe.title") + " · " + pg.Org.Name
	return &subscribeView{Page: pg, State: state}
}

func (p *Public) handleSubscribeForm(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	state := "form"
	if r.URL.Query().Get("sent") == "1" {
		state = "sent"
	}
	return "subscribe", p.subscribePage(pg, state), nil
}

// handleSubscribe takes the form, or JSON {"email","lang"} from a script.
func (p *Public) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		p.subscribeJSON(w, r)
		return
	}
	p.serve(func(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
		v := p.subscribePage(pg, "form")
		if err := r.ParseForm(); err != nil {
			pg.Status, v.Error = http.StatusBadRequest, pg.T("subscribe.bad_form")
			return "subscribe", v, nil
		}
		v.Email = r.PostForm.Get("email")
		// A field people cannot see: a robot that fills it in is told
		// its subscription went through, and nothing is sent.
		if r.PostForm.Get("website") == "" {
			err := p.Policies.Subscribe(r.Context(), pg.Org.ID, pg.Org.Name, pg.Org.Slug, v.Email, pg.Lang, audit.TruncateIP(r.RemoteAddr))
			if status, msg := userError(pg, err); status != 0 {
				pg.Status, v.Error = status, msg
				return "subscribe", v, nil
			} else if err != nil {
				return "", nil, err
			}
		}
		http.Redirect(w, r, "/o/"+pg.Org.Slug+"/privacy/subscribe?sent=1&lang="+pg.Lang, http.StatusSeeOther)
		return "", nil, errAnswered
	})(w, r)
}

// errAnswered tells serve that the handler has written the response
// itself (a redirect, a PDF).
var errAnswered = errors.New("redirected")

// userError turns the errors a visitor can fix into a status and a
// message in the page's language; it returns 0 for anything else.
func userError(pg *Page, err error) (int, string) {
	var pe *privaq.Error
	if err == nil || !errors.As(err, &pe) {
		return 0, ""
	}
	msg := pe.Message
	if pg.Lang == "fr" && pe.FR != "" {
		msg = pe.FR
	}
	switch pe.Code {
	case privaq.EValidation:
		if pe.Rule == "token" {
			return http.StatusBadRequest, msg
		}
		return http.StatusUnprocessableEntity, msg
	case privaq.ERateLimited:
		return http.StatusTooManyRequests, msg
	}
	return 0, ""
}

func (p *Public) subscribeJSON(w http.ResponseWriter, r *http.Request) {
	var body struct{ Email, Lang string }
	o, err := p.OrgStore.OrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil {
		writeJSONError(w, http.StatusNotFound, privaq.ENotFound, "no such organization")
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSONError(w, http.StatusBadRequest, privaq.EInvalidJSON, "the body must be a JSON object {\"email\": …, \"lang\": \"fr\"|\"en\"}")
		return
	}
	err = p.Policies.Subscribe(r.Context(), o.ID, o.Name, o.Slug, body.Email, body.Lang, audit.TruncateIP(r.RemoteAddr))
	var pe *privaq.Error
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"status":"pending","message":"if the address is valid, a confirmation link has been sent to it"}` + "\n"))
	case errors.As(err, &pe) && pe.Code == privaq.EValidation:
		writeJSONError(w, http.StatusUnprocessableEntity, privaq.EValidation, pe.Message)
	case errors.As(err, &pe) && pe.Code == privaq.ERateLimited:
		writeJSONError(w, http.StatusTooManyRequests, privaq.ERateLimited, pe.Message)
	default:
		p.Log.ErrorContext(r.Context(), "subscribe_failed", "err", err)
		writeJSONError(w, http.StatusInternalServerError, privaq.EInternal, "an internal error occurred; it has been logged")
	}
}

// tokenPage shows the button that confirms or unsubscribes.
func (p *Public) tokenPage(state string) handler {
	return func(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
		v := p.subscribePage(pg, state)
		v.Token = r.URL.Query().Get("t")
		if strings.TrimSpace(v.Token) == "" {
			pg.Status, v.State = http.StatusBadRequest, "bad_link"
		}
		return "subscribe", v, nil
	}
}

func (p *Public) handleConfirm(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	return p.tokenAction(r, pg, "confirmed", func(t string) (policy.Subscriber, error) {
		return p.Policies.ConfirmSubscription(r.Context(), pg.Org.ID, t)
	})
}

func (p *Public) handleUnsubscribe(w http.ResponseWriter, r *http.Request, pg *Page) (string, any, error) {
	return p.tokenAction(r, pg, "unsubscribed", func(t string) (policy.Subscriber, error) {
		return p.Policies.Unsubscribe(r.Context(), pg.Org.ID, t)
	})
}

// tokenAction runs a link's action with the token from the form or, for
// a one-click unsubscribe, from the address, and shows the outcome in the
// subscriber's language.
func (p *Public) tokenAction(r *http.Request, pg *Page, done string, act func(string) (policy.Subscriber, error)) (string, any, error) {
	v := p.subscribePage(pg, done)
	if err := r.ParseForm(); err != nil {
		pg.Status, v.State = http.StatusBadRequest, "bad_link"
		return "subscribe", v, nil
	}
	sub, err := act(r.Form.Get("t"))
	if status, _ := userError(pg, err); status != 0 {
		pg.Status, v.State = status, "bad_link"
		return "subscribe", v, nil
	}
	if err != nil {
		return "", nil, err
	}
	if r.URL.Query().Get("lang") == "" && sub.Lang != "" {
		pg.Lang = sub.Lang
		pg.Title = pg.T("subscribe.title") + " · " + pg.Org.Name
	}
	return "subscribe", v, nil
}

func writeJSONError(w http.ResponseWriter, status int, code privaq.Code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
