package api

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"time"

	"privaq"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
	"privaq/internal/policy"
)

// versionJSON is a policy version as listed.
type versionJSON struct {
	Number      int        `json:"number"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	EffectiveAt *time.Time `json:"effective_at"`
	PublishedAt *time.Time `json:"published_at"`
	Editorial   bool       `json:"editorial"`
	Significant bool       `json:"significant"`
}

// versionDetail is one version with its changes and its rendered policy.
type versionDetail struct {
	versionJSON
	Reason       string                    `json:"reason,omitempty"`
	Summary      inventory.Text            `json:"summary_of_changes"`
	InventoryRev int64                     `json:"inventory_rev"`
	Changes      []policy.Change           `json:"changes"`
	Renewal      []string                  `json:"renewal_purposes"`
	Notices      int                       `json:"notices"`
	Deliveries   map[pqmail.Status]int     `json:"notice_deliveries"`
	Policy       map[string]*policy.Policy `json:"policy"`
}

// renewalOf lists the purposes whose consents v calls into question.
func renewalOf(v policy.Version) []string {
	if v.Renewal == nil {
		return []string{}
	}
	return v.Renewal
}

func toVersionJSON(v policy.Version) versionJSON {
	return versionJSON{Number: v.Number, Status: string(v.Status), CreatedAt: v.CreatedAt, EffectiveAt: v.EffectiveAt,
		PublishedAt: v.PublishedAt, Editorial: v.Editorial, Significant: v.Significant}
}

func changesOf(v policy.Version) []policy.Change {
	if v.Changes == nil {
		return []policy.Change{}
	}
	return v.Changes
}

// versionNumber reads {n}; anything but a positive number names no version.
func versionNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "policy version %q not found", r.PathValue("n"))
	}
	return n, nil
}

func (a *API) handlePolicyCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := a.Policies.CreateDraft(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+c.org.Slug+"/policies/"+strconv.Itoa(v.Number))
	writeJSON(w, http.StatusCreated, map[string]any{"number": v.Number, "status": v.Status,
		"significant": v.Significant, "changes": changesOf(v), "renewal_purposes": renewalOf(v)})
	return nil
}

func (a *API) handlePoliciesList(w http.ResponseWriter, r *http.Request, c *call) error {
	vs, err := a.Policies.Versions(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	items := make([]versionJSON, 0, len(vs))
	for _, v := range vs {
		items = append(items, toVersionJSON(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// policyFormats are the formats of one rendered language, with their media
// types.
var policyFormats = map[string]string{
	"json": "application/json; charset=utf-8",
	"html": "text/html; charset=utf-8",
	"md":   "text/markdown; charset=utf-8",
}

func (a *API) handlePolicyGet(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	v, err := a.Policies.Version(r.Context(), c.actor, c.org.ID, n)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lang, format := q.Get("lang"), q.Get("format")
	if lang == "" && format == "" {
		d := versionDetail{versionJSON: toVersionJSON(v), Reason: v.Reason, Summary: v.Summary,
			InventoryRev: v.InventoryRev, Changes: changesOf(v), Renewal: renewalOf(v), Notices: v.Notices, Deliveries: v.Deliveries, Policy: map[string]*policy.Policy{}}
		for _, l := range inventory.Languages {
			if l != "fr" && !slices.Contains(v.Inventory.Org.Languages, l) {
				continue
			}
			p, err := v.Render(l, c.org.Slug, a.BaseURL)
			if err != nil {
				return err
			}
			d.Policy[l] = p
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
	if lang == "" {
		lang = "fr"
	}
	if format == "" {
		format = "json"
	}
	ct, ok := policyFormats[format]
	if !ok {
		return privaq.FieldError("format", "format must be json, html or md")
	}
	p, err := v.Render(lang, c.org.Slug, a.BaseURL)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch format {
	case "html":
		err = p.HTML(&buf)
	case "md":
		err = p.Markdown(&buf)
	default:
		err = p.JSON(&buf)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// publishRequest is the body of a publication.
type publishRequest struct {
	EffectiveAt string         `json:"effective_at"`
	Summary     inventory.Text `json:"summary_of_changes"`
	Editorial   bool           `json:"editorial"`
	Reason      string         `json:"reason"`
}

func (a *API) handlePolicyPublish(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := versionNumber(r)
	if err != nil {
		return err
	}
	data, _, err := readBody(w, r, maxBody, "application/json")
	if err != nil {
		return err
	}
	var req publishRequest
	if err := inventory.DecodeJSON(bytes.NewReader(data), &req); err != nil {
		return err
	}
	p := policy.Publication{Summary: req.Summary, Editorial: req.Editorial, Reason: req.Reason}
	if req.EffectiveAt != "" {
		if p.EffectiveAt, err = time.Parse(time.RFC3339, req.EffectiveAt); err != nil {
			return privaq.FieldError("effective_at", "effective_at must be an RFC 3339 date and time, such as 2026-03-01T00:00:00-05:00")
		}
	}
	v, err := a.Policies.Publish(r.Context(), c.actor, policy.Org{ID: c.org.ID, Slug: c.org.Slug}, n, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
	return nil
}
