package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"privaq"
)

// statuses is the one table from error codes to HTTP statuses (STYLE §3).
var statuses = map[privaq.Code]int{
	privaq.EInvalidJSON:     http.StatusBadRequest,
	privaq.EValidation:      http.StatusUnprocessableEntity,
	privaq.EUnauthorized:    http.StatusUnauthorized,
	privaq.EForbidden:       http.StatusForbidden,
	privaq.ENotFound:        http.StatusNotFound,
	privaq.EConflict:        http.StatusConflict,
	privaq.ETooLarge:        http.StatusRequestEntityTooLarge,
	privaq.EUnsupportedType: http.StatusUnsupportedMediaType,
	privaq.ERateLimited:     http.StatusTooManyRequests,
	privaq.EInternal:        http.StatusInternalServerError,
}

// Status returns the HTTP status for an error.
func Status(err error) int {
	if s, ok := statuses[privaq.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Code    privaq.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
	Details []errorBody `json:"details,omitempty"`
}

// WriteError answers with SPEC §4's error body. Internal errors are logged
// with their cause and answered with a generic message.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var body errorBody
	var pe *privaq.Error
	switch {
	case errors.As(err, &pe) && pe.Code != privaq.EInternal:
		body = errorBody{Code: pe.Code, Message: pe.Message, Field: pe.Field}
		var many privaq.ValidationErrors
		if errors.As(err, &many) && len(many) > 1 {
			for _, e := range many {
				body.Details = append(body.Details, errorBody{Code: e.Code, Message: e.Message, Field: e.Field})
			}
		}
	default:
		log.ErrorContext(r.Context(), "request_failed", "err", err, "route", r.Pattern)
		body = errorBody{Code: privaq.EInternal, Message: "an internal error occurred; it has been logged"}
	}
	if body.Code == privaq.ERateLimited {
		w.Header().Set("Retry-After", "900")
	}
	writeJSON(w, Status(err), map[string]errorBody{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
