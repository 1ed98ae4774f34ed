package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
)

// handleNotFound answers what no route matched: 405 with Allow when the path
// exists under other methods, else 404, both as JSON errors.
func (a *API) handleNotFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]errorBody{"error": {Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allow, ", "))}})
		return
	}
	WriteError(w, r, a.Log, privaq.Errorf(privaq.ENotFound, "no API endpoint at %s %s", r.Method, r.URL.Path))
}

func (a *API) handleOrgsList(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := a.Orgs.Store.OrgByID(r.Context(), c.actor.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": []any{o}})
	return nil
}

func (a *API) handleOrgGet(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, c.org)
	return nil
}

func (a *API) handleAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action")}
	var err error
	if v := q.Get("before"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return privaq.FieldError("before", "before must be an entry id")
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 500 {
			return privaq.FieldError("limit", "limit must be a number from 1 to 500")
		}
	}
	entries, err := audit.List(r.Context(), a.Audit, c.actor, c.org.ID, f)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": entries})
	return nil
}

func (a *API) handleTokensList(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := a.Orgs.Tokens(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ts)})
	return nil
}

func (a *API) handleTokenCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Name string      `json:"name"`
		Role privaq.Role `json:"role"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	raw, t, err := a.Orgs.CreateToken(r.Context(), c.actor, c.org.ID, in.Role, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": raw, "id": t.ID, "name": t.Name, "role": t.Role, "prefix": t.Prefix, "created_at": t.CreatedAt})
	return nil
}

func (a *API) handleTokenRevoke(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return privaq.Errorf(privaq.ENotFound, "token not found")
	}
	if err := a.Orgs.RevokeToken(r.Context(), c.actor, c.org.ID, privaq.TokenID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) handleMembersList(w http.ResponseWriter, r *http.Request, c *call) error {
	ms, err := a.Orgs.Members(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ms)})
	return nil
}

func (a *API) handleMemberAdd(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Email string      `json:"email"`
		Name  string      `json:"name"`
		Role  privaq.Role `json:"role"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	u, generated, err := a.Orgs.AddUser(r.Context(), c.actor, c.org.ID, in.Email, in.Name, in.Role, "")
	if err != nil {
		return err
	}
	// The name given, not the one stored: an account that already exists
	// (in another organization) must not reveal what was recorded there.
	out := map[string]any{"id": u.ID, "email": u.Email, "name": in.Name, "role": in.Role}
	if generated != "" {
		out["password"] = generated
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	data, _, err := readBody(w, r, maxBody, "application/json")
	if err != nil {
		return err
	}
	return inventory.DecodeJSON(bytes.NewReader(data), v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
