package consent

import (
	"context"

	"privaq"
	"privaq/internal/audit"
)

// PurposeState is a person's current state for one purpose.
type PurposeState struct {
	Purpose string `json:"purpose"`
	Answer
	PolicyVersion int `json:"policy_version"`
}

// History is everything the ledger holds about one person.
type History struct {
	Subject string         `json:"subject"`
	Current []PurposeState `json:"current"`
	Records []Record       `json:"records"`
}

// History returns a person's records and current state per purpose. It
// is a read of personal information, recorded in the audit log (without
// the subject reference itself, which the log must not spread).
func (s *Service) History(ctx context.Context, actor privaq.Actor, org privaq.OrgID, subject string) (History, error) {
	if err := actor.Require(org, privaq.PermPersonalRead); err != nil {
		return History{}, err
	}
	if subject == "" || !cleanLine(subject, MaxSubjectLen) {
		return History{}, privaq.FieldError("subject", "subject must be text of 1 to %d characters", MaxSubjectLen)
	}
	in, err := s.info(ctx, org)
	if err != nil {
		return History{}, err
	}
	recs, err := s.Store.SubjectRecords(ctx, org, subject)
	if err != nil {
		return History{}, err
	}
	h := History{Subject: subject, Records: recs, Current: []PurposeState{}}
	if h.Records == nil {
		h.Records = []Record{}
	}
	latest := map[string]int{}
	var order []string
	for i, r := range recs {
		if _, ok := latest[r.Purpose]; !ok {
			order = append(order, r.Purpose)
		}
		latest[r.Purpose] = i
	}
	now := s.Clock.Now()
	for _, p := range order {
		r := recs[latest[p]]
		st := State{Seq: r.Seq, ID: r.ID, Decision: r.Decision, PolicyVersion: r.PolicyVersion, ExpiresAt: r.ExpiresAt}
		h.Current = append(h.Current, PurposeState{Purpose: p, Answer: in.answer(p, st, true, now), PolicyVersion: r.PolicyVersion})
	}
	e := audit.New(actor, "consent.history", "consents/subject", map[string]any{"records": len(recs)})
	return h, s.Audit.AppendAudit(ctx, e)
}
