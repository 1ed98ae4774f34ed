package incident

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
)

// Service declares, assesses, notifies and reads incidents for an actor,
// checking the actor's permission and recording every read and change in
// the audit log.
type Service struct {
	Store Store
	// Inventory gives the keys an incident may name, the organization's
	// name and the officer's contact for the notices.
	Inventory inventory.Store
	Clock     privaq.Clock
	// Wake, when set, is signalled after mail is queued.
	Wake chan struct{}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func target(id ID) string { return "incident/" + strconv.FormatInt(int64(id), 10) }

// Declare records a new incident, open and not yet assessed.
func (s *Service) Declare(ctx context.Context, actor privaq.Actor, org privaq.OrgID, in Input) (Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentDeclare); err != nil {
		return Incident{}, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return Incident{}, err
	}
	now := s.now()
	d, err := in.Details(doc, now)
	if err != nil {
		return Incident{}, err
	}
	inc := Incident{OrgID: org, Status: StatusOpen, Details: d, DeclaredAt: now, UpdatedAt: now}
	h := HistoryEntry{At: now, Actor: actor, Action: "declared"}
	if err := s.Store.CreateIncident(ctx, org, &inc, h, audit.New(actor, "incident.declare", "", map[string]any{"kind": string(d.Kind)})); err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, actor, org, inc.ID)
}

// List returns the register, newest first, and records the read.
func (s *Service) List(ctx context.Context, actor privaq.Actor, org privaq.OrgID, f Filter) ([]Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return nil, err
	}
	incs, err := s.list(ctx, org, f)
	if err != nil {
		return nil, err
	}
	return incs, s.Store.AppendAudit(ctx, audit.New(actor, "incident.list", "incidents", map[string]any{"count": len(incs)}))
}

func (s *Service) list(ctx context.Context, org privaq.OrgID, f Filter) ([]Incident, error) {
	set, err := s.Store.IncidentSettings(ctx, org)
	if err != nil {
		return nil, err
	}
	incs, err := s.Store.Incidents(ctx, org, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range incs {
		incs[i].compute(now, set.OverdueHours)
	}
	return incs, nil
}

// Summary counts the open incidents and those overdue, for the dashboard;
// it reads no incident, so it is not audited.
func (s *Service) Summary(ctx context.Context, actor privaq.Actor, org privaq.OrgID) (open, overdue int, err error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return 0, 0, err
	}
	t := true
	incs, err := s.list(ctx, org, Filter{Open: &t})
	for _, inc := range incs {
		open++
		if inc.Overdue {
			overdue++
		}
	}
	return open, overdue, err
}

// Get returns one incident with its assessments, disclosures and history,
// and records the read.
func (s *Service) Get(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID) (Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return Incident{}, err
	}
	inc, err := s.get(ctx, org, id)
	if err != nil {
		return inc, err
	}
	return inc, s.Store.AppendAudit(ctx, audit.New(actor, "incident.read", target(id), nil))
}

func (s *Service) get(ctx context.Context, org privaq.OrgID, id ID) (Incident, error) {
	set, err := s.Store.IncidentSettings(ctx, org)
	if err != nil {
		return Incident{}, err
	}
	inc, err := s.Store.Incident(ctx, org, id)
	if err != nil {
		return inc, err
	}
	inc.compute(s.now(), set.OverdueHours)
	return inc, nil
}

// compute fills the fields that depend on the clock.
func (inc *Incident) compute(now time.Time, overdueHours int) {
	elapsed := now.Sub(inc.DiscoveredAt)
	inc.ElapsedHours = max(int(elapsed/time.Hour), 0)
	inc.Overdue = inc.Status == StatusOpen && inc.Serious != nil && *inc.Serious && !inc.NoticesGiven() &&
		elapsed > time.Duration(overdueHours)*time.Hour
}

// NoticesGiven reports whether both notices a serious incident calls for
// are given: to the Commission, and to the people concerned (directly or
// by a public notice).
func (inc *Incident) NoticesGiven() bool {
	return inc.CAINotifiedAt != nil && (inc.PersonsNotifiedAt != nil || inc.PublicNoticeAt != nil)
}

// Update corrects an incident: apply changes its details as an input,
// which is checked again as a whole; status, unless empty, closes or
// reopens it.
func (s *Service) Update(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, apply func(*Input) error, status Status) (Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return Incident{}, err
	}
	if status != "" && status != StatusOpen && status != StatusClosed {
		return Incident{}, &privaq.Error{Code: privaq.EValidation, Field: "status", Message: "status must be open or closed", FR: "Le statut est ouvert ou fermé."}
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return Incident{}, err
	}
	now := s.now()
	_, err = s.Store.UpdateIncident(ctx, org, id, audit.New(actor, "incident.update", target(id), nil), func(inc *Incident) (Write, error) {
		in := inc.Details.Input()
		if err := apply(&in); err != nil {
			return Write{}, err
		}
		d, err := in.Details(doc, now)
		if err != nil {
			return Write{}, err
		}
		changes := diff(inc.Details, d)
		inc.Details = d
		action := "updated"
		if status != "" && status != inc.Status {
			if err := inc.setStatus(status, now); err != nil {
				return Write{}, err
			}
			changes = append(changes, Change{Field: "status", From: string(otherStatus(status)), To: string(status)})
			action = map[Status]string{StatusClosed: "closed", StatusOpen: "reopened"}[status]
		} else if status == StatusClosed {
			// Closing again checks again: the correction may have
			// removed a notice date.
			if err := inc.setStatus(status, now); err != nil {
				return Write{}, err
			}
		}
		if len(changes) == 0 {
			return Write{}, nil
		}
		inc.UpdatedAt = now
		return Write{History: HistoryEntry{At: now, Actor: actor, Action: action, Changes: changes}}, nil
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, actor, org, id)
}

func otherStatus(s Status) Status {
	if s == StatusOpen {
		return StatusClosed
	}
	return StatusOpen
}

// setStatus closes or reopens. An incident is closed only once assessed,
// and, when serious, once the Commission and the people concerned have
// been notified (Reg-I 3, 5; law25.md: "closing needs sent dates").
func (inc *Incident) setStatus(status Status, now time.Time) error {
	if status == StatusOpen {
		inc.Status, inc.ClosedAt = StatusOpen, nil
		return nil
	}
	var p problems
	switch {
	case inc.Serious == nil:
		p.add("status", "assess the risk of serious injury before closing the incident",
			"Évaluez le risque de préjudice sérieux avant de fermer l’incident.")
	case *inc.Serious && inc.CAINotifiedAt == nil:
		p.add("cai_notified_at", "record when the Commission was notified before closing a serious incident",
			"Inscrivez la date de l’avis à la Commission avant de fermer un incident sérieux.")
	}
	if inc.Serious != nil && *inc.Serious && inc.PersonsNotifiedAt == nil && inc.PublicNoticeAt == nil {
		p.add("persons_notified_at", "notify the people concerned (or give a public notice) before closing a serious incident",
			"Avisez les personnes concernées (ou donnez un avis public) avant de fermer un incident sérieux.")
	}
	if err := p.err(); err != nil {
		return err
	}
	if inc.Status != StatusClosed {
		inc.ClosedAt = &now
	}
	inc.Status = StatusClosed
	return nil
}

// Assess records an assessment of the risk of serious injury; a later one
// revises the conclusion, and both stay in the file.
func (s *Service) Assess(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, in AssessmentInput) (Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return Incident{}, err
	}
	a, err := in.assessment()
	if err != nil {
		return Incident{}, err
	}
	now := s.now()
	a.At = now
	_, err = s.Store.UpdateIncident(ctx, org, id, audit.New(actor, "incident.assess", target(id), map[string]any{"serious": a.Serious}),
		func(inc *Incident) (Write, error) {
			from := "—"
			if inc.Serious != nil {
				from = strconv.FormatBool(*inc.Serious)
			}
			inc.Serious, inc.AssessedAt, inc.UpdatedAt = &a.Serious, &now, now
			return Write{Assessment: &a, History: HistoryEntry{At: now, Actor: actor, Action: "assessed",
				Changes: []Change{{Field: "serious", From: from, To: strconv.FormatBool(a.Serious)}}}}, nil
		})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, actor, org, id)
}

// Disclose records a communication to someone who can reduce the risk,
// with what was disclosed (P 3.5, A 63.8).
func (s *Service) Disclose(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, in DisclosureInput) (Incident, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return Incident{}, err
	}
	now := s.now()
	d, err := in.disclosure(now)
	if err != nil {
		return Incident{}, err
	}
	d.RecordedAt = now
	_, err = s.Store.UpdateIncident(ctx, org, id, audit.New(actor, "incident.disclose", target(id), nil), func(inc *Incident) (Write, error) {
		if day(d.At).Before(day(inc.OccurredFrom)) {
			return Write{}, &privaq.Error{Code: privaq.EValidation, Field: "disclosed_at", Message: "the communication cannot precede the incident",
				FR: "La communication ne peut pas précéder l’incident."}
		}
		inc.UpdatedAt = now
		return Write{Disclosure: &d, History: HistoryEntry{At: now, Actor: actor, Action: "disclosed"}}, nil
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, actor, org, id)
}

// DeletableFrom is the first moment an incident may leave the register.
func (inc *Incident) DeletableFrom() time.Time {
	return inc.DiscoveredAt.AddDate(RetentionYears, 0, 0)
}

// Delete removes an incident from the register, which the regulation
// allows only five years after the organization learned of it; before,
// the answer is a conflict that says when.
func (s *Service) Delete(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID) error {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return err
	}
	now := s.now()
	return s.Store.DeleteIncident(ctx, org, id, audit.New(actor, "incident.delete", target(id), nil), func(inc Incident) error {
		if from := inc.DeletableFrom(); now.Before(from) {
			d := from.Format(time.DateOnly)
			return &privaq.Error{Code: privaq.EConflict, Message: fmt.Sprintf("the register keeps an incident for %d years after the organization learned of it (Reg-I s. 7): %s may be deleted from %s",
				RetentionYears, inc.Reference, d),
				FR: fmt.Sprintf("Le registre conserve un incident %d ans après que l’organisation en a pris connaissance (Règlement, art. 7) : %s pourra être supprimé à compter du %s.",
					RetentionYears, inc.Reference, d)}
		}
		return nil
	})
}

// Settings returns the organization's incident settings.
func (s *Service) Settings(ctx context.Context, actor privaq.Actor, org privaq.OrgID) (Settings, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return Settings{}, err
	}
	return s.Store.IncidentSettings(ctx, org)
}

// SetSettings changes the organization's incident settings.
func (s *Service) SetSettings(ctx context.Context, actor privaq.Actor, org privaq.OrgID, set Settings) (Settings, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return Settings{}, err
	}
	if err := set.check(); err != nil {
		return Settings{}, err
	}
	err := s.Store.SetIncidentSettings(ctx, org, set, audit.New(actor, "incident.settings", "incident-settings",
		map[string]any{"overdue_hours": set.OverdueHours}))
	return set, err
}

func (s *Service) wake() {
	if s.Wake != nil {
		pqmail.Notify(s.Wake)
	}
}
