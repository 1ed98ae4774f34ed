package consent

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/policy"
)

// Sources are what the ledger reads from the rest of privaq.
type Sources interface {
	Inventory(ctx context.Context, org privaq.OrgID) (*inventory.Document, int64, error)
	// Revisions changes whenever the inventory changes or a policy
	// version is published: a cheap check of a cached copy.
	Revisions(ctx context.Context, org privaq.OrgID) (inventory, published int64, err error)
	PolicyVersions(ctx context.Context, org privaq.OrgID) ([]policy.Version, error)
}

// Service records consents and answers decisions.
type Service struct {
	Store   Store
	Writer  *Writer
	Sources Sources
	Audit   audit.Store
	Clock   privaq.Clock

	mu    sync.Mutex
	infos map[privaq.OrgID]*orgInfo
}

// orgInfo is what validation and decisions need of an organization,
// cached: rebuilt when the inventory changes or a version is published
// (on any node), when a scheduled version takes effect, and at least
// every infoTTL.
type orgInfo struct {
	rev     [2]int64
	until   time.Time
	rules   *Rules
	current int            // the policy version in effect, 0 if none
	renewal map[string]int // purpose → the version a consent must have been given under
	reask   bool           // the organization asks consents again after significant changes
}

const infoTTL = 5 * time.Second

func (s *Service) info(ctx context.Context, org privaq.OrgID) (*orgInfo, error) {
	now := s.Clock.Now()
	invRev, pubRev, err := s.Sources.Revisions(ctx, org)
	if err != nil {
		return nil, err
	}
	rev := [2]int64{invRev, pubRev}
	s.mu.Lock()
	cached := s.infos[org]
	s.mu.Unlock()
	if cached != nil && cached.rev == rev && now.Before(cached.until) {
		return cached, nil
	}
	doc, _, err := s.Sources.Inventory(ctx, org)
	if err != nil {
		return nil, err
	}
	vs, err := s.Sources.PolicyVersions(ctx, org)
	if err != nil {
		return nil, err
	}
	in := &orgInfo{rev: rev, until: now.Add(infoTTL), rules: RulesOf(doc), renewal: map[string]int{}, reask: doc.Policy.ReconsentOnNewPurpose}
	var currentAt time.Time
	for _, v := range vs {
		if v.Status == policy.StatusDraft || v.EffectiveAt == nil {
			continue
		}
		if v.EffectiveAt.After(now) {
			if v.EffectiveAt.Before(in.until) {
				in.until = *v.EffectiveAt
			}
			continue
		}
		if !v.EffectiveAt.Before(currentAt) {
			in.current, currentAt = v.Number, *v.EffectiveAt
		}
		for _, p := range v.Renewal {
			in.renewal[p] = max(in.renewal[p], v.Number)
		}
	}
	s.mu.Lock()
	if s.infos == nil {
		s.infos = map[privaq.OrgID]*orgInfo{}
	}
	s.infos[org] = in
	s.mu.Unlock()
	return in, nil
}

// Result is one recorded record with its receipt.
type Result struct {
	ID      string  `json:"id"`
	Seq     int64   `json:"seq"`
	Hash    string  `json:"hash"`
	Receipt Receipt `json:"receipt"`
}

// Record validates every input against the inventory and, when all are
// valid, appends them; nothing is recorded when any is invalid.
func (s *Service) Record(ctx context.Context, actor privaq.Actor, org privaq.OrgID, inputs []Input) ([]Result, error) {
	if err := actor.Require(org, privaq.PermConsentWrite); err != nil {
		return nil, err
	}
	in, err := s.info(ctx, org)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	recs := make([]Record, len(inputs))
	var errs privaq.ValidationErrors
	for i, x := range inputs {
		r, bad := in.rules.Check(x, now, in.current)
		for _, e := range bad {
			if len(inputs) > 1 {
				e = prefix(e, fmt.Sprintf("records[%d]", i)).(*privaq.Error)
			}
			errs = append(errs, e)
		}
		recs[i] = r
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	receipts, err := s.Writer.Append(ctx, org, recs)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(receipts))
	for i, rc := range receipts {
		out[i] = Result{ID: recs[i].ID, Seq: recs[i].Seq, Hash: rc.Hash, Receipt: rc}
	}
	return out, nil
}

// States of a decision.
const (
	StateGranted     = "granted"
	StateRefused     = "refused"
	StateWithdrawn   = "withdrawn"
	StateExpired     = "expired"
	StateNone        = "none"
	StateNotRequired = "not_required"
)

// Answer is a decision: may the organization use the subject's data for
// the purpose, and why.
type Answer struct {
	Allowed bool    `json:"allowed"`
	State   string  `json:"state"`
	Record  *string `json:"record"`
	// Renew is set when the consent was given under a policy version
	// older than a significant change affecting the purpose.
	Renew bool `json:"renewal_required,omitempty"`
}

// MaxPairs is the most pairs one bulk decision answers.
const MaxPairs = 100000

// Decide answers one question, or each pair in order; errors name the
// fields as a single question has them (subject, purpose).
func (s *Service) Decide(ctx context.Context, actor privaq.Actor, org privaq.OrgID, pairs []Pair) ([]Answer, error) {
	return s.decide(ctx, actor, org, pairs, len(pairs) > 1)
}

// DecideBulk answers each pair in order; errors name pairs[i].
func (s *Service) DecideBulk(ctx context.Context, actor privaq.Actor, org privaq.OrgID, pairs []Pair) ([]Answer, error) {
	return s.decide(ctx, actor, org, pairs, true)
}

func (s *Service) decide(ctx context.Context, actor privaq.Actor, org privaq.OrgID, pairs []Pair, bulk bool) ([]Answer, error) {
	if err := actor.Require(org, privaq.PermConsentRead); err != nil {
		return nil, err
	}
	if len(pairs) == 0 || len(pairs) > MaxPairs {
		return nil, privaq.FieldError("pairs", "ask from 1 to %d pairs, not %d", MaxPairs, len(pairs))
	}
	in, err := s.info(ctx, org)
	if err != nil {
		return nil, err
	}
	var errs privaq.ValidationErrors
	for i, p := range pairs {
		field := "purpose"
		if bulk {
			field = fmt.Sprintf("pairs[%d].purpose", i)
		}
		if _, ok := in.rules.Purposes[p.Purpose]; !ok {
			errs = append(errs, &privaq.Error{Code: privaq.EValidation, Field: field, Rule: "unknown_purpose",
				Message: fmt.Sprintf("%q is not a purpose of the inventory", p.Purpose)})
		}
		if p.Subject == "" || !cleanLine(p.Subject, MaxSubjectLen) {
			errs = append(errs, privaq.FieldError(field[:len(field)-len("purpose")]+"subject", "subject must be text of 1 to %d characters", MaxSubjectLen))
		}
		if len(errs) >= 20 {
			break
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	states, ok, err := s.Store.ConsentStates(ctx, org, pairs)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	out := make([]Answer, len(pairs))
	for i, p := range pairs {
		out[i] = in.answer(p.Purpose, states[i], ok[i], now)
	}
	return out, nil
}

func (in *orgInfo) answer(purpose string, st State, ok bool, now time.Time) Answer {
	if in.rules.Purposes[purpose] == inventory.ConsentNotRequired {
		return Answer{Allowed: true, State: StateNotRequired}
	}
	if !ok {
		return Answer{State: StateNone}
	}
	id := st.ID
	a := Answer{Record: &id}
	switch st.Decision {
	case Refused:
		a.State = StateRefused
	case Withdrawn:
		a.State = StateWithdrawn
	default:
		a.State, a.Allowed = StateGranted, true
		a.Renew = st.PolicyVersion < in.renewal[purpose]
		if (st.ExpiresAt != nil && !now.Before(*st.ExpiresAt)) || (a.Renew && in.reask) {
			a.State, a.Allowed = StateExpired, false
		}
	}
	return a
}

// PublicKeys returns the organization's ledger keys, for anyone.
func (s *Service) PublicKeys(ctx context.Context, org privaq.OrgID) ([]PublicKey, error) {
	return s.Store.LedgerPublicKeys(ctx, org)
}

// KeyByID finds a public key in keys.
func KeyByID(keys []PublicKey, id int) ed25519.PublicKey {
	for _, k := range keys {
		if k.ID == id {
			return k.Key
		}
	}
	return nil
}
