package api

import (
	"net/http"
	"strconv"

	"privaq"
)

// Webhook endpoints of an organization (SPEC §7): officers register and
// delete them; whoever reads consent state may list them and their
// deliveries.

func (a *API) handleWebhookCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := c.actor.Require(c.org.ID, privaq.PermManageAccess); err != nil {
		return err
	}
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	e, err := a.Webhooks.Create(r.Context(), c.actor, c.org.ID, in.URL, in.Events)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (a *API) handleWebhooksList(w http.ResponseWriter, r *http.Request, c *call) error {
	es, err := a.Webhooks.List(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(es)})
	return nil
}

func (a *API) handleWebhookDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := a.Webhooks.Delete(r.Context(), c.actor, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	ds, err := a.Webhooks.Deliveries(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(ds)})
	return nil
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("webhook"), 10, 64)
	if err != nil || id < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "webhook endpoint not found")
	}
	return id, nil
}
