package rights

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
	DocumentStore
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
