// Package rights runs the requests people make about their personal
// information (SPEC §9): access, rectification, deletion, withdrawal of
// consent, de-indexation, portability, complaints. It numbers each request,
// computes its legal due date (P 32, A 98), walks it through identity
// verification to a written answer with the recourse to the Commission
// (P 34, A 135), writes the letters, reminds the assignee before the due
// date, and carries out access, rectification and erasure in the
// organization's own databases through package connector.
package rights

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"privaq"
)

// ID identifies a request.
type ID int64

// Type is what the person asks for (SPEC §9).
type Type string

// The request types.
const (
	TypeAccess        Type = "access"
	TypeRectification Type = "rectification"
	TypeDeletion      Type = "deletion"
	TypeWithdrawal    Type = "withdrawal"
	TypeDeindexation  Type = "deindexation"
	TypePortability   Type = "portability"
	TypeComplaint     Type = "complaint"
	TypeOther         Type = "other"
)

// Types lists the request types in the order forms show them.
var Types = []Type{TypeAccess, TypeRectification, TypeDeletion, TypeWithdrawal, TypeDeindexation, TypePortability, TypeComplaint, TypeOther}

// Status is where a request stands.
type Status string

// The workflow of SPEC §9. A request filed on the public form is
// unconfirmed until its email address is confirmed; staff do not see it
// before.
const (
	StatusUnconfirmed Status = "unconfirmed"
	StatusReceived    Status = "received"
	StatusVerified    Status = "verified" // identity verified
	StatusInProgress  Status = "in_progress"
	StatusAnswered    Status = "answered"
	StatusWithdrawn   Status = "withdrawn"
)

// Statuses lists the statuses staff see, in workflow order.
var Statuses = []Status{StatusReceived, StatusVerified, StatusInProgress, StatusAnswered, StatusWithdrawn}

// Open reports whether the request still waits for its answer.
func (s Status) Open() bool {
	return s == StatusReceived || s == StatusVerified || s == StatusInProgress
}

// Channel is how the request reached the organization.
type Channel string

// Channels of SPEC §9.
const (
	ChannelWeb      Channel = "web"
	ChannelMail     Channel = "mail"
	ChannelPhone    Channel = "phone"
	ChannelInPerson Channel = "in_person"
	ChannelEmail    Channel = "email"
)

// Channels lists the channels.
var Channels = []Channel{ChannelWeb, ChannelMail, ChannelPhone, ChannelInPerson, ChannelEmail}

// Capacity is why a representative may act for the person concerned
// (P 30, A 94).
type Capacity string

// Capacities.
const (
	CapacityParent    Capacity = "parent"    // holder of parental authority of a minor under 14
	CapacityTutor     Capacity = "tutor"     // tutor or curator
	CapacityMandatary Capacity = "mandatary" // mandate given by the person
	CapacityHeir      Capacity = "heir"      // heir or successor of a deceased person
	CapacityOther     Capacity = "other"
)

// Capacities lists the capacities.
var Capacities = []Capacity{CapacityParent, CapacityTutor, CapacityMandatary, CapacityHeir, CapacityOther}

// Outcome is the answer's decision.
type Outcome string

// Outcomes.
const (
	OutcomeGranted Outcome = "granted"
	OutcomePartial Outcome = "partial"
	OutcomeRefused Outcome = "refused"
)

// Outcomes lists the outcomes.
var Outcomes = []Outcome{OutcomeGranted, OutcomePartial, OutcomeRefused}

// Law is the Act a request falls under: it sets the delay. An organization
// under both regimes says, per request, which one applies.
type Law string

// Laws.
const (
	LawPrivate Law = "private" // P 32: 30 days
	LawPublic  Law = "public"  // A 98: 20 days, once extendable by 10
)

// RecourseDays is the time to ask the Commission to examine a
// disagreement or review a decision (P 43, A 135).
const RecourseDays = 30

// Person is the requester.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Represented is the person concerned when the requester acts for them.
type Represented struct {
	Name     string   `json:"name"`
	Capacity Capacity `json:"capacity"`
}

// Text is a text in French and, optionally, English.
type Text struct {
	FR string `json:"fr"`
	EN string `json:"en,omitempty"`
}

// In returns the text in lang, falling back to French.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// Identity is how staff verified who the requester is (P 30): the method
// and who checked, never a copy of the documents.
type Identity struct {
	Method     string    `json:"method"`
	Note       string    `json:"note,omitempty"`
	VerifiedBy string    `json:"verified_by"`
	VerifiedAt time.Time `json:"verified_at"`
}

// Identity methods.
var IdentityMethods = []string{"document_seen", "known_account", "email_match", "in_person", "other"}

// Request is one rights request.
type Request struct {
	ID          ID           `json:"id"`
	OrgID       privaq.OrgID `json:"-"`
	Reference   string       `json:"reference"`
	Type        Type         `json:"type"`
	Status      Status       `json:"status"`
	Channel     Channel      `json:"channel"`
	Law         Law          `json:"law"`
	Lang        string       `json:"lang"`
	Requester   Person       `json:"requester"`
	Represented *Represented `json:"represented"`
	Details     string       `json:"details"`
	// Identifiers are the references staff use to find the person in the
	// organization's databases (email, customer id…), keyed by name.
	Identifiers map[string]string `json:"identifiers"`

	ReceivedAt    time.Time     `json:"received_at"`
	ConfirmedAt   *time.Time    `json:"confirmed_at"`
	DueAt         time.Time     `json:"due_at"`
	OriginalDueAt time.Time     `json:"original_due_at"`
	ExtendedAt    *time.Time    `json:"extended_at"`
	Identity      *Identity     `json:"identity"`
	AssigneeID    privaq.UserID `json:"assignee_id"`
	Assignee      string        `json:"assignee"`
	Outcome       Outcome       `json:"outcome,omitempty"`
	Reasons       Text          `json:"reasons"`
	Articles      []string      `json:"articles"`
	AnsweredAt    *time.Time    `json:"answered_at"`
	ClosedAt      *time.Time    `json:"closed_at"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`

	Events  []Event  `json:"events"`
	Letters []Letter `json:"letters"`

	// Computed from the clock.
	DaysLeft int `json:"days_left"`
	// Overdue: still open past the due date. The law deems such a
	// request refused (P 32, A 102), which opens the recourse.
	Overdue bool `json:"overdue"`
	// HoldUntil: the information the request is about must be kept until
	// the recourses are exhausted; nil while the request is open (kept
	// indefinitely), a date after an answer or a deemed refusal.
	HoldUntil *time.Time `json:"hold_until"`
	Held      bool       `json:"held"`
}

// Urgency classes the request for the list's colours.
func (r *Request) Urgency() string {
	switch {
	case !r.Status.Open():
		return "done"
	case r.Overdue:
		return "overdue"
	case r.DaysLeft <= 2:
		return "urgent"
	case r.DaysLeft <= 7:
		return "soon"
	}
	return "ok"
}

// DeemedRefused reports whether the law now treats the request as refused.
func (r *Request) DeemedRefused() bool { return r.Overdue }

// compute fills the fields that depend on now.
func (r *Request) compute(now time.Time) {
	r.DaysLeft = DaysLeft(r.DueAt, now)
	r.Overdue = r.Status.Open() && now.After(r.DueAt)
	switch {
	case r.Status.Open() || r.Status == StatusUnconfirmed:
		r.HoldUntil, r.Held = nil, r.Status.Open()
	case r.Status == StatusAnswered && r.AnsweredAt != nil:
		h := r.AnsweredAt.AddDate(0, 0, RecourseDays)
		r.HoldUntil, r.Held = &h, now.Before(h)
	}
	if r.Overdue {
		h := r.DueAt.AddDate(0, 0, RecourseDays)
		r.HoldUntil = &h
	}
}

// Event is a dated line of a request's file: a status change, a note, a
// letter, a connector's result.
type Event struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	// Note is the staff member's text or a description of the result;
	// sealed at rest since it may name people.
	Note   string         `json:"note,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
	actor  privaq.Actor
}

// Actor returns who acted, for the store.
func (e Event) Actor() privaq.Actor { return e.actor }

// LetterKind is one of privaq's letters.
type LetterKind string

// Letters.
const (
	LetterAcknowledgement LetterKind = "acknowledgement"
	LetterExtension       LetterKind = "extension"
	LetterClarification   LetterKind = "clarification"
	LetterAnswer          LetterKind = "answer"
)

// Letter is a letter kept in the file, sent by email when the requester
// has an address.
type Letter struct {
	ID        int64      `json:"id"`
	Kind      LetterKind `json:"kind"`
	Lang      string     `json:"lang"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	CreatedAt time.Time  `json:"created_at"`
	Emailed   bool       `json:"emailed"`
	MailID    int64      `json:"-"`
}

// Filter narrows the list.
type Filter struct {
	Status   Status
	Type     Type
	Overdue  *bool
	Assignee privaq.UserID
	Open     bool
}

// Input is a new request, from the API, a staff form or the public form.
type Input struct {
	Type        Type         `json:"type"`
	Requester   Person       `json:"requester"`
	Represented *Represented `json:"represented"`
	Details     string       `json:"details"`
	Channel     Channel      `json:"channel"`
	ReceivedAt  string       `json:"received_at"`
	Law         Law          `json:"law"`
	Lang        string       `json:"lang"`
}

const (
	maxLine = 300
	maxText = 10000
)

func errorf(field, en, fr string) *privaq.Error {
	return &privaq.Error{Code: privaq.EValidation, Field: field, Message: en, FR: fr}
}

// check validates the input, every problem at once.
func (in *Input) check(requireEmail bool) privaq.ValidationErrors {
	var v privaq.ValidationErrors
	add := func(e *privaq.Error) { v = append(v, e) }
	in.Requester.Name, in.Requester.Email, in.Requester.Phone = strings.TrimSpace(in.Requester.Name), strings.TrimSpace(in.Requester.Email), strings.TrimSpace(in.Requester.Phone)
	in.Details = strings.TrimSpace(strings.ReplaceAll(in.Details, "\r\n", "\n"))
	if !oneOf(Types, in.Type) {
		add(errorf("type", "choose the type of request: access, rectification, deletion, withdrawal, deindexation, portability, complaint or other",
			"Choisissez le type de demande."))
	}
	if in.Requester.Name == "" {
		add(errorf("requester.name", "enter the requester's name", "Entrez le nom de la personne qui fait la demande."))
	} else if !line(in.Requester.Name) {
		add(errorf("requester.name", "the name must be one line of at most 300 characters", "Le nom tient sur une ligne d’au plus 300 caractères."))
	}
	switch {
	case in.Requester.Email == "" && requireEmail:
		add(errorf("requester.email", "enter an email address, to confirm the request and receive the answer",
			"Entrez une adresse courriel pour confirmer la demande et recevoir la réponse."))
	case in.Requester.Email != "" && !validEmail(in.Requester.Email):
		add(errorf("requester.email", "enter an email address such as name@example.org", "Entrez une adresse courriel, par exemple nom@exemple.org."))
	}
	if in.Requester.Phone != "" && (!line(in.Requester.Phone) || len(in.Requester.Phone) > 40) {
		add(errorf("requester.phone", "the phone number must be one line of at most 40 characters", "Le numéro de téléphone tient sur une ligne d’au plus 40 caractères."))
	}
	if r := in.Represented; r != nil {
		r.Name = strings.TrimSpace(r.Name)
		if r.Name == "" && r.Capacity == "" {
			in.Represented = nil
		} else {
			if r.Name == "" || !line(r.Name) {
				add(errorf("represented.name", "enter the name of the person represented", "Entrez le nom de la personne représentée."))
			}
			if !oneOf(Capacities, r.Capacity) {
				add(errorf("represented.capacity", "say in what capacity the requester acts: parent, tutor, mandatary, heir or other",
					"Indiquez à quel titre la demande est faite : parent, tuteur, mandataire, héritier ou autre."))
			}
		}
	}
	if in.Details == "" && (in.Type == TypeRectification || in.Type == TypeComplaint || in.Type == TypeOther || in.Type == TypeDeindexation) {
		add(errorf("details", "describe the request", "Décrivez la demande."))
	}
	if utf8.RuneCountInString(in.Details) > maxText || !utf8.ValidString(in.Details) {
		add(errorf("details", "the details must be valid text of at most 10,000 characters", "La description compte au plus 10 000 caractères."))
	}
	if in.Channel == "" {
		in.Channel = ChannelWeb
	}
	if !oneOf(Channels, in.Channel) {
		add(errorf("channel", "channel must be web, mail, phone, in_person or email", "Le moyen de réception est inconnu."))
	}
	if in.Law != "" && in.Law != LawPrivate && in.Law != LawPublic {
		add(errorf("law", "law must be private or public", "La loi applicable est « private » ou « public »."))
	}
	if in.Lang == "" {
		in.Lang = "fr"
	}
	if in.Lang != "fr" && in.Lang != "en" {
		add(errorf("lang", "lang must be fr or en", "La langue est fr ou en."))
	}
	return v
}

func oneOf[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func line(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= maxLine && !strings.ContainsAny(s, "\r\n\t\x00")
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && len(s) <= 254 && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// ParseTime reads a date (YYYY-MM-DD, midnight in Montreal) or an RFC 3339
// time; ok is false for anything else. An empty string gives nil.
func ParseTime(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, montreal); err == nil {
		t = t.UTC()
		return &t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t = t.UTC().Truncate(time.Microsecond)
		return &t, true
	}
	return nil, false
}
