package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
)

// Confidentiality incidents (SPEC §10): the register, the assessments,
// the notices to the Commission and to the people concerned, the export.
// The incident service checks the roles and audits every read.

// incidentSummary is an incident as the register lists it: its facts and
// where it stands, without its texts.
type incidentSummary struct {
	ID                  incident.ID     `json:"id"`
	Reference           string          `json:"reference"`
	Kind                incident.Kind   `json:"kind"`
	Status              incident.Status `json:"status"`
	OccurredFrom        time.Time       `json:"occurred_from"`
	OccurredTo          *time.Time      `json:"occurred_to"`
	OccurredApproximate bool            `json:"occurred_approximate"`
	DiscoveredAt        time.Time       `json:"discovered_at"`
	PeopleCount         *int            `json:"people_count"`
	PeopleInQuebec      *int            `json:"people_in_quebec"`
	PeopleApproximate   bool            `json:"people_approximate"`
	Serious             *bool           `json:"serious"`
	CAINotifiedAt       *time.Time      `json:"cai_notified_at"`
	PersonsNotifiedAt   *time.Time      `json:"persons_notified_at"`
	PublicNoticeAt      *time.Time      `json:"public_notice_at"`
	DeclaredAt          time.Time       `json:"declared_at"`
	DeclaredBy          string          `json:"declared_by"`
	ClosedAt            *time.Time      `json:"closed_at"`
	Overdue             bool            `json:"overdue"`
	ElapsedHours        int             `json:"elapsed_hours"`
}

func summaryOf(i incident.Incident) incidentSummary {
	return incidentSummary{ID: i.ID, Reference: i.Reference, Kind: i.Kind, Status: i.Status, OccurredFrom: i.OccurredFrom, OccurredTo: i.OccurredTo,
		OccurredApproximate: i.OccurredApproximate, DiscoveredAt: i.DiscoveredAt, PeopleCount: i.PeopleCount, PeopleInQuebec: i.PeopleInQuebec,
		PeopleApproximate: i.PeopleApproximate, Serious: i.Serious, CAINotifiedAt: i.CAINotifiedAt, PersonsNotifiedAt: i.PersonsNotifiedAt,
		PublicNoticeAt: i.PublicNoticeAt, DeclaredAt: i.DeclaredAt, DeclaredBy: i.DeclaredBy, ClosedAt: i.ClosedAt, Overdue: i.Overdue,
		ElapsedHours: i.ElapsedHours}
}

// writeIncident answers one incident, with its lists never null.
func writeIncident(w http.ResponseWriter, status int, inc incident.Incident) {
	inc.Assessments, inc.Disclosures, inc.History = nonNil(inc.Assessments), nonNil(inc.Disclosures), nonNil(inc.History)
	inc.DataCategories, inc.Systems, inc.Recipients = nonNil(inc.DataCategories), nonNil(inc.Systems), nonNil(inc.Recipients)
	writeJSON(w, status, inc)
}

func incidentID(r *http.Request) (incident.ID, error) {
	id, err := strconv.ParseInt(r.PathValue("incident"), 10, 64)
	if err != nil || id < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "incident %q not found", r.PathValue("incident"))
	}
	return incident.ID(id), nil
}

func (a *API) incidentURL(c *call, id incident.ID) string {
	return "/api/v1/orgs/" + c.org.Slug + "/incidents/" + strconv.FormatInt(int64(id), 10)
}

func (a *API) handleIncidentCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in incident.Input
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	inc, err := a.Incidents.Declare(r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", a.incidentURL(c, inc.ID))
	writeIncident(w, http.StatusCreated, inc)
	return nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, privaq.FieldError(name, "%s must be true or false", name)
	}
	return &b, nil
}

func (a *API) handleIncidentsList(w http.ResponseWriter, r *http.Request, c *call) error {
	var f incident.Filter
	var err error
	if f.Open, err = boolParam(r, "open"); err != nil {
		return err
	}
	if f.Serious, err = boolParam(r, "serious"); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		t, ok := incident.ParseTime(r.URL.Query().Get(p.name))
		if !ok {
			return privaq.FieldError(p.name, "%s must be a date (YYYY-MM-DD) or an RFC 3339 date and time", p.name)
		}
		if t != nil {
			*p.dst = *t
		}
	}
	incs, err := a.Incidents.List(r.Context(), c.actor, c.org.ID, f)
	if err != nil {
		return err
	}
	items := make([]incidentSummary, 0, len(incs))
	for _, i := range incs {
		items = append(items, summaryOf(i))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) handleIncidentGet(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	inc, err := a.Incidents.Get(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeIncident(w, http.StatusOK, inc)
	return nil
}

// inputFields are the JSON names of an incident's details.
var inputFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(incident.Input{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// handleIncidentPatch applies a JSON merge of the fields sent over the
// incident's details (null clears a field; an object such as
// person_notice is replaced whole), then checks the result as a whole.
// "status" closes or reopens the incident in the same change.
func (a *API) handleIncidentPatch(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := decodeBody(w, r, &patch); err != nil {
		return err
	}
	var status incident.Status
	if raw, ok := patch["status"]; ok {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return privaq.FieldError("status", "status must be open or closed")
		}
		status = incident.Status(s)
		delete(patch, "status")
	}
	for k := range patch {
		if !inputFields[k] {
			return privaq.FieldError(k, "unknown field %q", k)
		}
	}
	inc, err := a.Incidents.Update(r.Context(), c.actor, c.org.ID, id, func(in *incident.Input) error {
		cur, err := json.Marshal(in)
		if err != nil {
			return err
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(cur, &m); err != nil {
			return err
		}
		for k, v := range patch {
			m[k] = v
		}
		merged, err := json.Marshal(m)
		if err != nil {
			return err
		}
		var out incident.Input
		if err := inventory.DecodeJSON(bytes.NewReader(merged), &out); err != nil {
			return err
		}
		*in = out
		return nil
	}, status)
	if err != nil {
		return err
	}
	writeIncident(w, http.StatusOK, inc)
	return nil
}

func (a *API) handleIncidentDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if err := a.Incidents.Delete(r.Context(), c.actor, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) handleAssessmentCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var in incident.AssessmentInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	inc, err := a.Incidents.Assess(r.Context(), c.actor, c.org.ID, id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", a.incidentURL(c, id))
	writeIncident(w, http.StatusCreated, inc)
	return nil
}

func (a *API) handleDisclosureCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var in incident.DisclosureInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	inc, err := a.Incidents.Disclose(r.Context(), c.actor, c.org.ID, id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", a.incidentURL(c, id))
	writeIncident(w, http.StatusCreated, inc)
	return nil
}

func (a *API) handleIncidentSettingsGet(w http.ResponseWriter, r *http.Request, c *call) error {
	s, err := a.Incidents.Settings(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) handleIncidentSettingsPut(w http.ResponseWriter, r *http.Request, c *call) error {
	var in incident.Settings
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	s, err := a.Incidents.SetSettings(r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}
