package api

import (
	"net/http"

	"privaq"
	"privaq/internal/consent"
)

// Consent bodies are larger than the default: a batch has up to 10,000
// records, each with up to 4 KiB of evidence; bulk decisions up to
// 100,000 pairs.
const (
	maxConsentBody  = 48 << 20
	maxDecisionBody = 16 << 20
)

func (a *API) handleConsentsCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := c.actor.Require(c.org.ID, privaq.PermConsentWrite); err != nil {
		return err
	}
	data, _, err := readBody(w, r, maxConsentBody, "application/json")
	if err != nil {
		return err
	}
	inputs, batch, err := consent.DecodeInputs(data)
	if err != nil {
		return err
	}
	res, err := a.Consents.Record(r.Context(), c.actor, c.org.ID, inputs)
	if err != nil {
		return err
	}
	if batch {
		writeJSON(w, http.StatusCreated, map[string]any{"records": res})
		return nil
	}
	writeJSON(w, http.StatusCreated, res[0])
	return nil
}

func (a *API) handleDecisionGet(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	ans, err := a.Consents.Decide(r.Context(), c.actor, c.org.ID, []consent.Pair{{Subject: q.Get("subject"), Purpose: q.Get("purpose")}})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans[0])
	return nil
}

func (a *API) handleDecisionsBulk(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := c.actor.Require(c.org.ID, privaq.PermConsentRead); err != nil {
		return err
	}
	data, _, err := readBody(w, r, maxDecisionBody, "application/json")
	if err != nil {
		return err
	}
	pairs, err := consent.DecodePairs(data)
	if err != nil {
		return err
	}
	ans, err := a.Consents.DecideBulk(r.Context(), c.actor, c.org.ID, pairs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": ans})
	return nil
}

func (a *API) handleSubjectConsents(w http.ResponseWriter, r *http.Request, c *call) error {
	h, err := a.Consents.History(r.Context(), c.actor, c.org.ID, r.PathValue("subject"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) handleLedgerVerify(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := c.actor.Require(c.org.ID, privaq.PermConsentRead); err != nil {
		return err
	}
	rep, err := consent.Verify(r.Context(), a.Consents.Store, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
