package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"privaq/internal/consent"
)

// exportWriteWindow is how long the client has to take each batch of an
// export's rows: the server's write timeout is for ordinary answers, and
// an export of a large ledger takes longer than that as a whole.
const exportWriteWindow = time.Minute

// handleConsentsExport streams the ledger (SPEC §7). Checks, the count and
// the audit entry come first, so a bad request still gets a JSON error;
// once rows flow the status is sent, and a failure can only cut the
// response short, which the client sees as an incomplete transfer.
func (a *API) handleConsentsExport(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	req := consent.ExportRequest{Format: q.Get("format"), Purpose: q.Get("purpose"), From: q.Get("from"), To: q.Get("to"), Subject: q.Get("subject")}
	exp, err := a.Consents.PrepareExport(r.Context(), c.actor, c.org.ID, req, consent.ExportSite{Slug: c.org.Slug, BaseURL: a.BaseURL})
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", exp.ContentType())
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="consents-%s-%s.%s"`, c.org.Slug, time.Now().UTC().Format("20060102"), exp.Extension()))
	h.Set("Cache-Control", "no-store")
	h.Set("Privaq-Export-Rows", strconv.FormatInt(exp.Rows, 10))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	extend := func() error {
		if err := rc.SetWriteDeadline(time.Now().Add(exportWriteWindow)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	if err := extend(); err != nil {
		return nil // the client is gone
	}
	if _, err := exp.WriteTo(r.Context(), w, extend); err != nil {
		if r.Context().Err() == nil {
			a.Log.ErrorContext(r.Context(), "consent_export_failed", "org", c.org.Slug, "format", exp.Format, "err", err)
		}
		// net/http's own way to end a response without completing it.
		panic(http.ErrAbortHandler)
	}
	return nil
}
