package banner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/org"
)

// MaxChoiceBytes bounds a choice's body: a visitor id, a revision and a
// few booleans take a tenth of it.
const MaxChoiceBytes = 2 << 10

// Choice is what banner.js sends with navigator.sendBeacon.
type Choice struct {
	Visitor    string          `json:"visitor"`
	Revision   string          `json:"revision"`
	Categories map[string]bool `json:"categories"`
	GPC        bool            `json:"gpc"`
	Action     string          `json:"action"`
}

// Actions a choice comes from; gpc is the Global Privacy Control signal
// refusing statistics and marketing before anything was shown.
var Actions = []string{"accept_all", "refuse_all", "custom", "gpc"}

var (
	visitorRE  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	revisionRE = regexp.MustCompile(`^[0-9a-f]{1,64}$`)
)

// evidence is what a record keeps of the choice's circumstances: no
// address and no user agent, the visitor stays anonymous.
type evidence struct {
	Revision string `json:"revision"`
	GPC      bool   `json:"gpc"`
	Action   string `json:"action"`
	Origin   string `json:"origin"`
}

// handleConsent records a visitor's choice: one ledger record per
// category. It answers 204 and nothing else on success, so a page can
// never read a visitor's state back through it.
func (b *Banner) handleConsent(w http.ResponseWriter, r *http.Request) {
	o, cfg, ok := b.resolve(w, r)
	if !ok {
		return
	}
	origin := r.Header.Get("Origin")
	if !b.allowed(r, origin, cfg) {
		jsonError(w, http.StatusForbidden, privaq.Errorf(privaq.EForbidden, "this origin may not send choices to this organization: add it to the banner's allowed origins"))
		return
	}
	allowCORS(w, origin)
	if err := b.limit(r, o); err != nil {
		b.answer(w, r, err)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "text/plain" {
		jsonError(w, http.StatusUnsupportedMediaType, privaq.Errorf(privaq.EUnsupportedType, "send the choice as application/json or text/plain (as sendBeacon does)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxChoiceBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		jsonError(w, http.StatusRequestEntityTooLarge, privaq.Errorf(privaq.ETooLarge, "a choice is at most %d bytes", MaxChoiceBytes))
		return
	}
	if err != nil {
		jsonError(w, http.StatusBadRequest, privaq.Errorf(privaq.EInvalidJSON, "the body could not be read"))
		return
	}
	ch, err := DecodeChoice(body)
	if err != nil {
		b.answer(w, r, err)
		return
	}
	inputs, err := Inputs(ch, cfg, origin)
	if err == nil {
		err = b.withdrawals(r, o, inputs)
	}
	if err == nil {
		_, err = b.Ledger.Record(r.Context(), actor(r, o), o.ID, inputs)
	}
	if err != nil {
		b.answer(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePreflight lets an allowed origin post JSON with fetch as well.
func (b *Banner) handlePreflight(w http.ResponseWriter, r *http.Request) {
	_, cfg, ok := b.resolve(w, r)
	if !ok {
		return
	}
	origin := r.Header.Get("Origin")
	if !b.allowed(r, origin, cfg) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	allowCORS(w, origin)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// resolve finds the organization and its banner, answering 404 or 500
// itself when it cannot.
func (b *Banner) resolve(w http.ResponseWriter, r *http.Request) (org.Org, *Content, bool) {
	o, err := b.Orgs.OrgBySlug(r.Context(), r.PathValue("org"))
	if err != nil {
		b.answer(w, r, err)
		return o, nil, false
	}
	s, err := b.script(r.Context(), o)
	if err != nil {
		b.answer(w, r, err)
		return o, nil, false
	}
	return o, s.cfg, true
}

// actor is who records a banner choice: nobody signed in, so privaq acts
// for the organization, as its operator commands do, with the client's
// network for the record.
func actor(r *http.Request, o org.Org) privaq.Actor {
	return privaq.Actor{Kind: privaq.ActorSystem, OrgID: o.ID, Role: privaq.RoleIntegration, IP: audit.TruncateIP(r.RemoteAddr)}
}

// allowed tells whether origin may post choices: privaq itself (same
// host, or the configured public URL), the organization's website, or an
// origin the banner settings list. Browsers send Origin with every POST;
// a request without one is not a banner's.
func (b *Banner) allowed(r *http.Request, origin string, cfg *Content) bool {
	if origin == "" || origin == "null" {
		return false
	}
	if o := inventory.Origin(origin); o != "" && (o == inventory.Origin(b.BaseURL) || o == inventory.Origin("http://"+r.Host) || o == inventory.Origin("https://"+r.Host)) {
		return true
	}
	return slices.Contains(cfg.Origins, strings.ToLower(origin))
}

func allowCORS(w http.ResponseWriter, origin string) {
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
}

// limit counts the request against the client's network.
func (b *Banner) limit(r *http.Request, o org.Org) error {
	now := b.Clock.Now()
	key := fmt.Sprintf("banner:%d:%s", o.ID, audit.TruncateIP(r.RemoteAddr))
	n, err := b.Attempts.CountAttempts(r.Context(), key, now.Add(-b.Window))
	if err != nil {
		return err
	}
	if n >= b.Limit {
		return privaq.Errorf(privaq.ERateLimited, "too many choices from this network; try again in %d minutes", int(b.Window.Minutes()))
	}
	return b.Attempts.RecordAttempt(r.Context(), key, now)
}

// DecodeChoice reads a choice strictly: one JSON object, no unknown field.
func DecodeChoice(body []byte) (Choice, error) {
	var c Choice
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return c, &privaq.Error{Code: privaq.EInvalidJSON, Message: `the body must be one JSON object {"visitor","revision","categories","gpc","action"}`, Err: err}
	}
	return c, nil
}

// Inputs checks a choice against the organization's banner and returns
// its ledger records, one per category, in the banner's order.
func Inputs(c Choice, cfg *Content, origin string) ([]consent.Input, error) {
	var errs privaq.ValidationErrors
	if !visitorRE.MatchString(c.Visitor) {
		errs.Add("visitor", "visitor must be the banner's anonymous id: 32 lower-case hexadecimal digits")
	}
	if !revisionRE.MatchString(c.Revision) {
		errs.Add("revision", "revision must be the banner's revision, in hexadecimal")
	}
	if !slices.Contains(Actions, c.Action) {
		errs.Add("action", "action must be one of %s", strings.Join(Actions, ", "))
	}
	opt := cfg.Optional()
	if len(c.Categories) == 0 {
		errs.Add("categories", "categories must name at least one of the organization's categories: %s", names(opt))
	}
	for k := range c.Categories {
		if !slices.Contains(opt, inventory.CookieCategory(k)) {
			errs.Add("categories."+k, "%q is not a category this organization asks about: use %s", k, names(opt))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ev, _ := json.Marshal(evidence{Revision: c.Revision, GPC: c.GPC, Action: c.Action, Origin: origin})
	var out []consent.Input
	for _, k := range opt {
		v, ok := c.Categories[string(k)]
		if !ok {
			continue
		}
		d := consent.Refused
		if v {
			d = consent.Granted
		}
		out = append(out, consent.Input{Subject: c.Visitor, Purpose: consent.CookiePurpose(k), Decision: d, Mode: consent.Express,
			Channel: "banner", GivenBy: consent.BySubject, Evidence: ev})
	}
	return out, nil
}

func names(cs []inventory.CookieCategory) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	if len(s) == 0 {
		return "none (the organization declares only necessary cookies)"
	}
	return strings.Join(s, ", ")
}

// withdrawals turns the refusals of categories the visitor had granted
// into withdrawals: the ledger then says the consent was taken back, and
// the organization's webhooks hear of it (SPEC §7).
func (b *Banner) withdrawals(r *http.Request, o org.Org, in []consent.Input) error {
	var pairs []consent.Pair
	var idx []int
	for i, x := range in {
		if x.Decision == consent.Refused {
			pairs = append(pairs, consent.Pair{Subject: x.Subject, Purpose: x.Purpose})
			idx = append(idx, i)
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	ans, err := b.Ledger.DecideBulk(r.Context(), actor(r, o), o.ID, pairs)
	if err != nil {
		return err
	}
	for j, a := range ans {
		if a.State == consent.StateGranted || (a.State == consent.StateExpired && a.Record != nil) {
			in[idx[j]].Decision = consent.Withdrawn
		}
	}
	return nil
}

// answer writes err as SPEC §4's JSON error.
func (b *Banner) answer(w http.ResponseWriter, r *http.Request, err error) {
	status := map[privaq.Code]int{privaq.ENotFound: http.StatusNotFound, privaq.EValidation: http.StatusUnprocessableEntity,
		privaq.EInvalidJSON: http.StatusBadRequest, privaq.ERateLimited: http.StatusTooManyRequests}[privaq.ErrorCode(err)]
	if status == 0 {
		b.Log.ErrorContext(r.Context(), "banner_consent_failed", "err", err)
		jsonError(w, http.StatusInternalServerError, privaq.Errorf(privaq.EInternal, "an internal error occurred; it has been logged"))
		return
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int(b.Window.Seconds())))
	}
	var pe *privaq.Error
	errors.As(err, &pe)
	jsonError(w, status, pe)
}

func jsonError(w http.ResponseWriter, status int, e *privaq.Error) {
	body := map[string]any{"code": e.Code, "message": e.Message}
	if e.Field != "" {
		body["field"] = e.Field
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": body})
}
