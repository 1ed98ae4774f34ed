package rights

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
	"privaq/internal/org"
)

// Tokens are the secrets of the public links of a request: the link that
// confirms the email address, and the link to the status page. Only their
// hashes are stored.
type Tokens struct {
	ConfirmHash    []byte
	ConfirmExpires time.Time
	StatusHash     []byte
}

// OutLetter is a letter to store with the email that sends it, if any.
type OutLetter struct {
	Letter
	Mail *pqmail.Message
}

// Change is what an update writes beside the request itself.
type Change struct {
	Events  []Event
	Letters []OutLetter
	Tokens  *Tokens // new tokens, when set
	Mail    []pqmail.Message
}

// TokenKind names which of a request's links a token is.
type TokenKind string

// Token kinds.
const (
	TokenConfirm TokenKind = "confirm"
	TokenStatus  TokenKind = "status"
)

// Store keeps requests. Every write is one transaction with its audit
// entry, its events, its letters and their emails.
type Store interface {
	audit.Store
	ConnectorStore
	// CreateRequest numbers r (REQ-year-number), then stores it with what
	// fn, given the numbered request, writes beside it.
	CreateRequest(ctx context.Context, org privaq.OrgID, r *Request, t Tokens, e audit.Entry, fn func(*Request) (Change, error)) error
	Requests(ctx context.Context, org privaq.OrgID, f Filter) ([]Request, error)
	// Request returns one request with its events and letters.
	Request(ctx context.Context, org privaq.OrgID, id ID) (Request, error)
	// RequestByToken finds the request a link's token hashes to.
	RequestByToken(ctx context.Context, org privaq.OrgID, kind TokenKind, hash []byte, now time.Time) (Request, error)
	// UpdateRequest applies fn to the request under a row lock and
	// stores the result; a Change with nothing in it and no field changed
	// still stores the request.
	UpdateRequest(ctx context.Context, org privaq.OrgID, id ID, e audit.Entry, fn func(*Request) (Change, error)) (Request, error)
	// RecordAttempt and CountAttempts rate-limit the public form.
	RecordAttempt(ctx context.Context, key string, at time.Time) error
	CountAttempts(ctx context.Context, key string, since time.Time) (int, error)
	// OpenRequests lists every organization's open requests, for the
	// reminders.
	OpenRequests(ctx context.Context) ([]Request, error)
	// QueueRequestReminder queues msg unless the reminder of request id
	// for that many days before its due date was queued already.
	QueueRequestReminder(ctx context.Context, org privaq.OrgID, id ID, days int, now time.Time, msg pqmail.Message) (bool, error)
}

// OrgStore finds an organization, for names and links.
type OrgStore interface {
	OrgByID(ctx context.Context, id privaq.OrgID) (org.Org, error)
	Members(ctx context.Context, o privaq.OrgID) ([]org.Member, error)
}

// Service runs rights requests for an actor, checking permissions and
// auditing every read and change.
type Service struct {
	Store     Store
	Inventory inventory.Store
	Orgs      OrgStore
	Clock     privaq.Clock
	BaseURL   string
	// Wake, when set, is signalled after mail is queued.
	Wake chan struct{}
	// Protected lists privaq's own databases (a PostgreSQL URL, a SQLite
	// file), which no connector may reach.
	Protected []string
	// SQLiteDir is the only directory where SQLite connectors may open a
	// file: an officer must not read whatever file the server can. Empty
	// disables SQLite connectors.
	SQLiteDir string
}

// Public form limits: a network may file this many requests an hour, and
// a confirmation link is good this long.
const (
	submitWindow    = time.Hour
	submitPerClient = 5
	confirmFor      = 72 * time.Hour
)

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) wake() {
	if s.Wake != nil {
		pqmail.Notify(s.Wake)
	}
}

func target(id ID) string { return "request/" + strconv.FormatInt(int64(id), 10) }

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash is the form a link's token is stored and looked up by.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func validToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 32
}

func badLink() error {
	return &privaq.Error{Code: privaq.EValidation, Field: "t", Rule: "token",
		Message: "this link is not valid, was already used or has expired", FR: "Ce lien n’est pas valide, a déjà servi ou a expiré."}
}

// context of one organization: its inventory and its name.
type orgInfo struct {
	org privaq.OrgID
	o   org.Org
	doc *inventory.Document
}

func (s *Service) info(ctx context.Context, id privaq.OrgID) (orgInfo, error) {
	o, err := s.Orgs.OrgByID(ctx, id)
	if err != nil {
		return orgInfo{}, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, id)
	return orgInfo{org: id, o: o, doc: doc}, err
}

// law is the Act that sets a request's delay: the organization's regime,
// or for an organization under both, the one the request names (public,
// the shorter delay, when it names none).
func (oi orgInfo) law(asked Law) Law {
	switch oi.doc.Org.Regime {
	case inventory.RegimePrivate:
		return LawPrivate
	case inventory.RegimePublic:
		return LawPublic
	}
	if asked == LawPrivate {
		return LawPrivate
	}
	return LawPublic
}

// delay is the number of days to answer: the legal delay, or the shorter
// one the organization promises in its policy.
func (oi orgInfo) delay(l Law) int {
	d := AccessReplyDaysPrivate
	if l == LawPublic {
		d = AccessReplyDaysPublic
	}
	if p := oi.doc.Policy.RequestDelayDays; p > 0 && p < d {
		d = p
	}
	return d
}

func (oi orgInfo) name() string {
	if oi.doc.Org.Name != "" {
		return oi.doc.Org.Name
	}
	return oi.o.Name
}

// newRequest checks an input and builds the request it describes.
func (s *Service) newRequest(oi orgInfo, in Input, now time.Time, requireEmail bool) (*Request, error) {
	v := in.check(requireEmail)
	received := now
	if t, ok := ParseTime(in.ReceivedAt); !ok {
		v = append(v, errorf("received_at", "received_at must be a date (YYYY-MM-DD) or an RFC 3339 date and time", "La date de réception est une date (AAAA-MM-JJ)."))
	} else if t != nil {
		if t.After(now.Add(time.Minute)) {
			v = append(v, errorf("received_at", "received_at cannot be in the future", "La date de réception ne peut pas être dans le futur."))
		}
		received = *t
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	l := oi.law(in.Law)
	due := Due(received, oi.delay(l))
	return &Request{OrgID: oi.org, Type: in.Type, Status: StatusReceived, Channel: in.Channel, Law: l, Lang: in.Lang,
		Requester: in.Requester, Represented: in.Represented, Details: in.Details, Identifiers: defaultIdentifiers(in),
		ReceivedAt: received, DueAt: due, OriginalDueAt: due, CreatedAt: now, UpdatedAt: now}, nil
}

// defaultIdentifiers finds the requester by their email. A request made
// for someone else (a child, a mandator, a deceased person) is about that
// person, not about the representative: staff set its identifiers.
func defaultIdentifiers(in Input) map[string]string {
	ids := map[string]string{}
	if in.Requester.Email != "" && in.Represented == nil {
		ids["email"] = strings.ToLower(in.Requester.Email)
	}
	return ids
}

// Submit files a request from the public form. It is unconfirmed until the
// requester opens the link mailed to them; until then staff do not see it.
// client is the requester's network, for the rate limit.
func (s *Service) Submit(ctx context.Context, orgID privaq.OrgID, in Input, client string) error {
	now := s.now()
	key := "request:" + client
	n, err := s.Store.CountAttempts(ctx, key, now.Add(-submitWindow))
	if err != nil {
		return err
	}
	if n >= submitPerClient {
		return &privaq.Error{Code: privaq.ERateLimited, Message: "too many requests from this network; try again in an hour",
			FR: "Trop de demandes depuis ce réseau : réessayez dans une heure."}
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return err
	}
	in.Channel = ChannelWeb
	in.ReceivedAt = ""
	r, err := s.newRequest(oi, in, now, true)
	if err != nil {
		return err
	}
	if err := s.Store.RecordAttempt(ctx, key, now); err != nil {
		return err
	}
	r.Status = StatusUnconfirmed
	token := newToken()
	t := Tokens{ConfirmHash: TokenHash(token), ConfirmExpires: now.Add(confirmFor)}
	msg, err := s.confirmMail(oi, r, token, t.ConfirmExpires)
	if err != nil {
		return err
	}
	c := Change{Events: []Event{{At: now, By: "requester", Action: "submitted"}}, Mail: []pqmail.Message{msg}}
	e := audit.Entry{OrgID: orgID, Kind: privaq.ActorSystem, Action: "request.submit", Detail: map[string]any{"type": string(r.Type)}, IP: client}
	if err := s.Store.CreateRequest(ctx, orgID, r, t, e, func(*Request) (Change, error) { return c, nil }); err != nil {
		return err
	}
	s.wake()
	return nil
}

// Confirm confirms the email address of a request filed on the public
// form: the request is then received, as of when it was filed, and the
// requester gets the acknowledgement with the link to its status page.
// It returns that link's token.
func (s *Service) Confirm(ctx context.Context, orgID privaq.OrgID, token string) (Request, string, error) {
	if !validToken(token) {
		return Request{}, "", badLink()
	}
	now := s.now()
	r, err := s.Store.RequestByToken(ctx, orgID, TokenConfirm, TokenHash(token), now)
	if privaq.IsCode(err, privaq.ENotFound) {
		return r, "", badLink()
	}
	if err != nil {
		return r, "", err
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return r, "", err
	}
	status := newToken()
	e := audit.Entry{OrgID: orgID, Kind: privaq.ActorSystem, Action: "request.confirm", Target: target(r.ID)}
	r, err = s.Store.UpdateRequest(ctx, orgID, r.ID, e, func(r *Request) (Change, error) {
		if r.Status != StatusUnconfirmed {
			return Change{}, badLink()
		}
		r.Status, r.ConfirmedAt, r.UpdatedAt = StatusReceived, &now, now
		c := Change{Tokens: &Tokens{StatusHash: TokenHash(status)}, Events: []Event{{At: now, By: "requester", Action: "confirmed"}}}
		l, err := s.letter(oi, r, LetterAcknowledgement, letterData{StatusToken: status}, now)
		if err != nil {
			return Change{}, err
		}
		c.Letters = append(c.Letters, l)
		return c, nil
	})
	if err != nil {
		return r, "", err
	}
	s.wake()
	r.compute(now)
	return r, status, nil
}

// Status is the public view of a request, found by its status link.
func (s *Service) Status(ctx context.Context, orgID privaq.OrgID, token string) (Request, error) {
	if !validToken(token) {
		return Request{}, badLink()
	}
	now := s.now()
	r, err := s.Store.RequestByToken(ctx, orgID, TokenStatus, TokenHash(token), now)
	if privaq.IsCode(err, privaq.ENotFound) {
		return r, badLink()
	}
	if err != nil {
		return r, err
	}
	r, err = s.Store.Request(ctx, orgID, r.ID)
	r.compute(now)
	return r, err
}

// Create records a request staff received by mail, phone, email or in
// person. With an email address, the acknowledgement is sent with the
// link to the status page.
func (s *Service) Create(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, in Input) (Request, error) {
	if err := actor.Require(orgID, privaq.PermRequestManage); err != nil {
		return Request{}, err
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return Request{}, err
	}
	now := s.now()
	if in.Channel == "" {
		in.Channel = ChannelMail
	}
	r, err := s.newRequest(oi, in, now, false)
	if err != nil {
		return Request{}, err
	}
	status := newToken()
	t := Tokens{StatusHash: TokenHash(status)}
	e := audit.New(actor, "request.create", "", map[string]any{"type": string(r.Type)})
	// The acknowledgement names the reference, known once numbered.
	err = s.Store.CreateRequest(ctx, orgID, r, t, e, func(r *Request) (Change, error) {
		l, err := s.letter(oi, r, LetterAcknowledgement, letterData{StatusToken: status}, now)
		return Change{Events: []Event{{At: now, actor: actor, Action: "entered", Detail: map[string]any{"channel": string(r.Channel)}}},
			Letters: []OutLetter{l}}, err
	})
	if err != nil {
		return Request{}, err
	}
	s.wake()
	return s.Get(ctx, actor, orgID, r.ID)
}

// List returns the requests staff see, most urgent first, and records the
// read.
func (s *Service) List(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, f Filter) ([]Request, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	rs, err := s.list(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	return rs, s.Store.AppendAudit(ctx, audit.New(actor, "request.list", "requests", map[string]any{"count": len(rs)}))
}

func (s *Service) list(ctx context.Context, orgID privaq.OrgID, f Filter) ([]Request, error) {
	rs, err := s.Store.Requests(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := rs[:0]
	for _, r := range rs {
		r.compute(now)
		if f.Overdue != nil && r.Overdue != *f.Overdue {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Get returns one request with its file, and records the read.
func (s *Service) Get(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) (Request, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return Request{}, err
	}
	r, err := s.Store.Request(ctx, orgID, id)
	if err != nil || r.Status == StatusUnconfirmed {
		if err == nil {
			err = privaq.Errorf(privaq.ENotFound, "request %d not found", id)
		}
		return Request{}, err
	}
	r.compute(s.now())
	return r, s.Store.AppendAudit(ctx, audit.New(actor, "request.read", target(id), nil))
}

// update changes a confirmed request as actor, with permission p.
func (s *Service) update(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, p privaq.Permission, action string,
	detail map[string]any, fn func(r *Request, now time.Time) (Change, error)) (Request, error) {
	if err := actor.Require(orgID, p); err != nil {
		return Request{}, err
	}
	now := s.now()
	r, err := s.Store.UpdateRequest(ctx, orgID, id, audit.New(actor, action, target(id), detail), func(r *Request) (Change, error) {
		if r.Status == StatusUnconfirmed {
			return Change{}, privaq.Errorf(privaq.ENotFound, "request %d not found", id)
		}
		c, err := fn(r, now)
		if err != nil {
			return c, err
		}
		r.UpdatedAt = now
		for i := range c.Events {
			c.Events[i].At, c.Events[i].actor = now, actor
		}
		return c, nil
	})
	if err != nil {
		return r, err
	}
	s.wake()
	r.compute(now)
	return r, nil
}

func notOpen(r *Request) error {
	if r.Status.Open() {
		return nil
	}
	return &privaq.Error{Code: privaq.EConflict, Message: "the request is " + string(r.Status) + ": it cannot change any more",
		FR: "La demande est close : elle ne peut plus changer."}
}

// VerifyIdentity records how the requester's identity (or the
// representative's capacity) was verified (P 30). No copy of a document
// is kept.
func (s *Service) VerifyIdentity(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, method, note, by string) (Request, error) {
	method, note = strings.TrimSpace(method), strings.TrimSpace(note)
	if !oneOf(IdentityMethods, method) {
		return Request{}, errorf("method", "method must be one of "+strings.Join(IdentityMethods, ", "), "Choisissez la façon dont l’identité a été vérifiée.")
	}
	if utf8Len(note) > maxText {
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
	if text == "" || utf8Len(text) > maxText {
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
	return s.update(ctx, actor, orgID, id, privaq.PermRequestManage, "request.identifiers", map[string]any{"names": keysOf(clean)},
		func(r *Request, now time.Time) (Change, error) {
			if err := notOpen(r); err != nil {
				return Change{}, err
			}
			r.Identifiers = clean
			return Change{Events: []Event{{Action: "identifiers_set", Detail: map[string]any{"names": keysOf(clean)}}}}, nil
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
	if reason == "" || utf8Len(reason) > maxText {
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
	if question == "" || utf8Len(question) > maxText {
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
	if utf8Len(a.Reasons.FR) > maxText || utf8Len(a.Reasons.EN) > maxText {
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

func utf8Len(s string) int { return len([]rune(s)) }

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
