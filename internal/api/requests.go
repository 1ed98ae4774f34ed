package api

import (
	"net/http"
	"strconv"

	"privaq"
	"privaq/internal/rights"
)

// Rights requests (SPEC §9): staff enter and follow requests, verify
// identities, keep notes and answer in writing. The rights service checks
// the roles and audits every read.

func requestID(r *http.Request) (rights.ID, error) {
	id, err := strconv.ParseInt(r.PathValue("request"), 10, 64)
	if err != nil || id < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "request %q not found", r.PathValue("request"))
	}
	return rights.ID(id), nil
}

// writeRequest answers one request, its lists never null.
func writeRequest(w http.ResponseWriter, status int, rq rights.Request) {
	rq.Events, rq.Letters, rq.Articles = nonNil(rq.Events), nonNil(rq.Letters), nonNil(rq.Articles)
	if rq.Identifiers == nil {
		rq.Identifiers = map[string]string{}
	}
	writeJSON(w, status, rq)
}

func (a *API) handleRequestCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in rights.Input
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	rq, err := a.Rights.Create(r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+c.org.Slug+"/requests/"+strconv.FormatInt(int64(rq.ID), 10))
	writeRequest(w, http.StatusCreated, rq)
	return nil
}

func (a *API) handleRequestsList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := rights.Filter{Status: rights.Status(q.Get("status")), Type: rights.Type(q.Get("type"))}
	if f.Status != "" && !contains(statusNames(), string(f.Status)) {
		return privaq.FieldError("status", "status must be one of received, verified, in_progress, answered, withdrawn")
	}
	var err error
	if f.Overdue, err = boolParam(r, "overdue"); err != nil {
		return err
	}
	list, err := a.Rights.List(r.Context(), c.actor, c.org.ID, f)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Events, list[i].Letters, list[i].Articles = nonNil(list[i].Events), nonNil(list[i].Letters), nonNil(list[i].Articles)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	return nil
}

func statusNames() []string {
	var out []string
	for _, s := range rights.Statuses {
		out = append(out, string(s))
	}
	return out
}

func (a *API) handleRequestStats(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := a.Rights.Stats(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	st.Months = nonNil(st.Months)
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (a *API) handleRequestGet(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	rq, err := a.Rights.Get(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeRequest(w, http.StatusOK, rq)
	return nil
}

// requestAction decodes a body into v, then runs act on the request.
func requestAction[T any](a *API, act func(r *http.Request, c *call, id rights.ID, v T) (rights.Request, error)) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		id, err := requestID(r)
		if err != nil {
			return err
		}
		var v T
		if err := decodeBody(w, r, &v); err != nil {
			return err
		}
		rq, err := act(r, c, id, v)
		if err != nil {
			return err
		}
		writeRequest(w, http.StatusOK, rq)
		return nil
	}
}

type identityBody struct {
	Method string `json:"method"`
	Note   string `json:"note"`
}

type noteBody struct {
	Note string `json:"note"`
}

func (a *API) actorName(c *call) string {
	if c.actor.Kind == privaq.ActorToken {
		return "token " + strconv.FormatInt(int64(c.actor.TokenID), 10)
	}
	return "user " + strconv.FormatInt(int64(c.actor.UserID), 10)
}

func (a *API) requestRoutes(handle func(method, pattern string, h http.Handler), o string) {
	one := o + "/requests/{request}"
	handle("POST", o+"/requests", a.wrap(a.handleRequestCreate))
	handle("GET", o+"/requests", a.wrap(a.handleRequestsList))
	handle("GET", o+"/requests/stats", a.wrap(a.handleRequestStats))
	handle("GET", one, a.wrap(a.handleRequestGet))
	handle("POST", one+"/verify-identity", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b identityBody) (rights.Request, error) {
		return a.Rights.VerifyIdentity(r.Context(), c.actor, c.org.ID, id, b.Method, b.Note, a.actorName(c))
	})))
	handle("POST", one+"/notes", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b noteBody) (rights.Request, error) {
		return a.Rights.Note(r.Context(), c.actor, c.org.ID, id, b.Note)
	})))
	handle("POST", one+"/answer", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b rights.Answer) (rights.Request, error) {
		return a.Rights.Answer(r.Context(), c.actor, c.org.ID, id, b)
	})))
}
