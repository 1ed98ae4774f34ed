// Package api serves the staff JSON API under /api/v1 (SPEC §1–5), with
// bearer tokens, per-organization scoping and the OpenAPI description.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/webhook"
)

// Body limits of SPEC §4.
const (
	maxBody   = 1 << 20
	maxImport = 10 << 20
)

// OrgStore is what the API reads about organizations directly.
type OrgStore interface {
	OrgBySlug(ctx context.Context, slug string) (org.Org, error)
}

// API holds the services the handlers call.
type API struct {
	Orgs      *org.Service
	OrgStore  OrgStore
	Inventory *inventory.Service
	Policies  *policy.Service
	Consents  *consent.Service
	Webhooks  *webhook.Service
	Incidents *incident.Service
	Rights    *rights.Service
	Audit     audit.Store
	Log       *slog.Logger
	BaseURL   string         // public URL, for links in rendered policies
	mux       *http.ServeMux // to tell a wrong method from a wrong path
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// call is one authenticated request on one organization.
type call struct {
	actor privaq.Actor
	org   org.Org
}

// wrap authenticates the bearer token, resolves {org} and turns returned
// errors into JSON. A token of another organization gets not_found: the
// existence of other tenants is never revealed.
func (a *API) wrap(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.serve(w, r, h); err != nil {
			WriteError(w, r, a.Log, err)
		}
	}
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, h handler) error {
	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="privaq"`)
		return privaq.Errorf(privaq.EUnauthorized, "send an API token as Authorization: Bearer pq_…")
	}
	actor, err := a.Orgs.AuthenticateToken(r.Context(), strings.TrimSpace(raw), audit.TruncateIP(r.RemoteAddr))
	if err != nil {
		return err
	}
	c := &call{actor: actor}
	if slug := r.PathValue("org"); slug != "" {
		o, err := a.OrgStore.OrgBySlug(r.Context(), slug)
		if err != nil && !privaq.IsCode(err, privaq.ENotFound) {
			return err
		}
		if err != nil || o.ID != actor.OrgID {
			return privaq.Errorf(privaq.ENotFound, "organization %q not found", slug)
		}
		c.org = o
	}
	return h(w, r, c)
}

// readBody reads a request body of an accepted media type, within limit.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) (data []byte, mediaType string, err error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !contains(types, mt) {
		return nil, "", privaq.Errorf(privaq.EUnsupportedType, "send the body as %s", strings.Join(types, " or "))
	}
	data, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, "", privaq.Errorf(privaq.ETooLarge, "the body is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, "", privaq.Errorf(privaq.EInvalidJSON, "the body could not be read")
	}
	return data, mt, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
