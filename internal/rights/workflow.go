package rights

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"privaq"
	"privaq/internal/org"
)

// The steps of a request's file after it is received: the identity check
// (P 30), assignment, notes, identifiers, the extension of a public body,
// clarification, the written answer and withdrawal.

// VerifyIdentity records how the requester's identity (or the
// representative's capacity) was verified (P 30). It keeps no copy of a
// document: the officer alone may choose to (AddDocument).
func (s *Service) VerifyIdentity(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, method, note, by string) (Request, error) {
	method, note = strings.TrimSpace(method), strings.TrimSpace(note)
	if !oneOf(IdentityMethods, method) {
		return Request{}, errorf("method", "method must be one of "+strings.Join(IdentityMethods, ", "), "Choisissez la façon dont l’identité a été vérifiée.")
	}
	if utf8.RuneCountInString(note) > maxText {
		return Request{}, errorf("note", "the note is at most 10,000 characters", "La note compte au plus 10 000 caractères.")
	}
	if method == "other" && note == "" {
		return Request{}, errorf("note", "describe how the identity was verified", "Décrivez comment l’identité a été vérifiée.")
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.verify_identity", map[string]any{"method": method},
		func(r *Request, now time.Time) (Change, error) {
			if err := notOpen(r); err != nil {
				return Change{}, err
			}
			r.Identity = &Identity{Method: method, Note: note, VerifiedBy: by, VerifiedAt: now}
			if r.Status == StatusReceived {
				r.Status = StatusVerified
			}
			return Change{Events: []Event{{Action: "identity_verified", Note: note, Detail: map[string]any{"method": method}}}}, nil
		})
}

// Start marks the request in progress, once the identity is verified.
func (s *Service) Start(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) (Request, error) {
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.start", nil, func(r *Request, now time.Time) (Change, error) {
		if err := needIdentity(r); err != nil {
			return Change{}, err
		}
		if r.Status == StatusInProgress {
			return Change{}, nil
		}
		r.Status = StatusInProgress
		return Change{Events: []Event{{Action: "started"}}}, nil
	})
}

// needIdentity refuses to act on a request before the identity check (P 30).
func needIdentity(r *Request) error {
	if err := notOpen(r); err != nil {
		return err
	}
	if r.Identity == nil {
		return &privaq.Error{Code: privaq.EConflict, Rule: "identity", Message: "verify the requester's identity first (P 30)",
			FR: "Vérifiez d’abord l’identité de la personne (art. 30)."}
	}
	return nil
}

// Assign gives the request to a staff member (0 for nobody).
func (s *Service) Assign(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, user privaq.UserID) (Request, error) {
	if err := actor.Require(orgID, privaq.PermRequestManage); err != nil {
		return Request{}, err
	}
	if user != 0 {
		list, err := s.Assignees(ctx, actor, orgID)
		if err != nil {
			return Request{}, err
		}
		if !slices.ContainsFunc(list, func(m org.Member) bool { return m.UserID == user }) {
			return Request{}, errorf("assignee", "assign the request to a staff member or officer of the organization",
				"Confiez la demande à un membre du personnel ou au responsable de l’organisation.")
		}
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.assign", map[string]any{"user": int64(user)},
		func(r *Request, now time.Time) (Change, error) {
			r.AssigneeID = user
			return Change{Events: []Event{{Action: "assigned", Detail: map[string]any{"user": int64(user)}}}}, nil
		})
}

// Assignees are the members who may handle requests: officers and staff.
func (s *Service) Assignees(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID) ([]org.Member, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	list, err := s.Orgs.Members(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(m org.Member) bool { return !m.Role.Can(privaq.PermRequestManage) }), nil
}

// Note adds an internal note to the file.
func (s *Service) Note(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, text string) (Request, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxText {
		return Request{}, errorf("note", "write a note of at most 10,000 characters", "Écrivez une note d’au plus 10 000 caractères.")
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.note", nil, func(r *Request, now time.Time) (Change, error) {
		return Change{Events: []Event{{Action: "note", Note: text}}}, nil
	})
}

// SetIdentifiers sets the references by which connectors find the person
// (email, customer id…).
func (s *Service) SetIdentifiers(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, ids map[string]string) (Request, error) {
	clean := map[string]string{}
	for k, v := range ids {
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !identifierName(k) || !line(v) {
			return Request{}, errorf("identifiers."+k, "identifier names are 1–63 lower-case letters, digits or _, values one line",
				"Le nom d’un identifiant compte de 1 à 63 lettres minuscules, chiffres ou _ ; sa valeur tient sur une ligne.")
		}
		clean[k] = v
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.identifiers", map[string]any{"names": slices.Sorted(maps.Keys(clean))},
		func(r *Request, now time.Time) (Change, error) {
			if err := notOpen(r); err != nil {
				return Change{}, err
			}
			r.Identifiers = clean
			return Change{Events: []Event{{Action: "identifiers_set", Detail: map[string]any{"names": slices.Sorted(maps.Keys(clean))}}}}, nil
		})
}

func identifierName(k string) bool {
	if k == "" || len(k) > 63 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Extend gives a public body its one extension of 10 days (A 98), with the
// written notice to the requester, before the first delay ends.
func (s *Service) Extend(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, reason string) (Request, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxText {
		return Request{}, errorf("reason", "give the reason for the extension, which the notice tells the requester",
			"Donnez le motif de la prolongation : l’avis le communique à la personne.")
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return Request{}, err
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.extend", nil, func(r *Request, now time.Time) (Change, error) {
		if err := notOpen(r); err != nil {
			return Change{}, err
		}
		switch {
		case r.Law != LawPublic:
			return Change{}, &privaq.Error{Code: privaq.EConflict, Message: "only a public body may extend the delay (A 98); the private sector's 30 days cannot be extended (P 32)",
				FR: "Seul un organisme public peut prolonger le délai (art. 98) ; le délai de 30 jours du secteur privé ne se prolonge pas (art. 32)."}
		case r.ExtendedAt != nil:
			return Change{}, &privaq.Error{Code: privaq.EConflict, Message: "the delay was already extended once", FR: "Le délai a déjà été prolongé une fois."}
		case now.After(r.OriginalDueAt):
			return Change{}, &privaq.Error{Code: privaq.EConflict, Message: "the notice of extension must be sent before the first delay ends (A 98)",
				FR: "L’avis de prolongation doit être envoyé avant la fin du premier délai (art. 98)."}
		}
		// Counted from receipt, so a first delay that ended on a holiday
		// does not shorten the extension.
		r.ExtendedAt, r.DueAt = &now, Due(r.ReceivedAt, AccessReplyDaysPublic+AccessExtensionDaysPublic)
		l, err := s.letter(oi, r, LetterExtension, letterData{Reason: reason}, now)
		if err != nil {
			return Change{}, err
		}
		return Change{Events: []Event{{Action: "extended", Note: reason}}, Letters: []OutLetter{l}}, nil
	})
}

// Clarify asks the requester for details the request lacks.
func (s *Service) Clarify(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, question string) (Request, error) {
	question = strings.TrimSpace(question)
	if question == "" || utf8.RuneCountInString(question) > maxText {
		return Request{}, errorf("question", "write what the requester should clarify", "Écrivez ce que la personne doit préciser.")
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return Request{}, err
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.clarify", nil, func(r *Request, now time.Time) (Change, error) {
		if err := notOpen(r); err != nil {
			return Change{}, err
		}
		l, err := s.letter(oi, r, LetterClarification, letterData{Question: question}, now)
		if err != nil {
			return Change{}, err
		}
		return Change{Events: []Event{{Action: "clarification_asked", Note: question}}, Letters: []OutLetter{l}}, nil
	})
}

// Answer is the decision on a request.
type Answer struct {
	Outcome  Outcome  `json:"outcome"`
	Reasons  Text     `json:"reasons"`
	Articles []string `json:"articles"`
}

// Answer records the written answer and sends it (P 32, A 98). A refusal,
// even partial, states its reasons and the provisions relied on, and every
// answer tells of the recourse to the Commission (P 34, A 135).
func (s *Service) Answer(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, a Answer) (Request, error) {
	var v privaq.ValidationErrors
	a.Reasons.FR, a.Reasons.EN = strings.TrimSpace(a.Reasons.FR), strings.TrimSpace(a.Reasons.EN)
	var arts []string
	for _, x := range a.Articles {
		if x = strings.TrimSpace(x); x != "" {
			arts = append(arts, x)
		}
	}
	a.Articles = arts
	if !oneOf(Outcomes, a.Outcome) {
		v = append(v, errorf("outcome", "outcome must be granted, partial or refused", "Choisissez la décision : acceptée, partielle ou refusée."))
	}
	if a.Outcome == OutcomeRefused || a.Outcome == OutcomePartial {
		if a.Reasons.FR == "" && a.Reasons.EN == "" {
			v = append(v, errorf("reasons.fr", "a refusal states its reasons (P 34, A 100)", "Un refus est motivé (art. 34)."))
		}
		if len(a.Articles) == 0 {
			v = append(v, errorf("articles", "a refusal names the provisions of the law it relies on (P 34, A 100)",
				"Un refus indique la disposition de la loi sur laquelle il s’appuie (art. 34)."))
		}
	}
	if utf8.RuneCountInString(a.Reasons.FR) > maxText || utf8.RuneCountInString(a.Reasons.EN) > maxText {
		v = append(v, errorf("reasons", "the reasons are at most 10,000 characters", "Les motifs comptent au plus 10 000 caractères."))
	}
	for i, x := range a.Articles {
		if !line(x) || len(x) > 100 {
			v = append(v, errorf("articles["+strconv.Itoa(i)+"]", "each article reference is one short line, such as P 39", "Chaque article tient sur une courte ligne."))
		}
	}
	if err := v.Err(); err != nil {
		return Request{}, err
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return Request{}, err
	}
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.answer", map[string]any{"outcome": string(a.Outcome)},
		func(r *Request, now time.Time) (Change, error) {
			if err := notOpen(r); err != nil {
				return Change{}, err
			}
			if a.Outcome != OutcomeRefused {
				if err := needIdentity(r); err != nil {
					return Change{}, err
				}
			}
			late := now.After(r.DueAt)
			r.Status, r.Outcome, r.Reasons, r.Articles, r.AnsweredAt, r.ClosedAt = StatusAnswered, a.Outcome, a.Reasons, a.Articles, &now, &now
			l, err := s.letter(oi, r, LetterAnswer, letterData{}, now)
			if err != nil {
				return Change{}, err
			}
			return Change{Events: []Event{{Action: "answered", Detail: map[string]any{"outcome": string(a.Outcome), "late": late}}},
				Letters: []OutLetter{l}}, nil
		})
}

// Withdraw closes a request the requester withdrew.
func (s *Service) Withdraw(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, note string) (Request, error) {
	note = strings.TrimSpace(note)
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.withdraw", nil, func(r *Request, now time.Time) (Change, error) {
		if err := notOpen(r); err != nil {
			return Change{}, err
		}
		r.Status, r.ClosedAt = StatusWithdrawn, &now
		return Change{Events: []Event{{Action: "withdrawn", Note: note}}}, nil
	})
}
