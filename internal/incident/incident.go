// Package incident keeps an organization's register of confidentiality
// incidents (P 3.5–3.8, A 63.8–63.11, Regulation respecting confidentiality
// incidents, "Reg-I"): what happened, what personal information it touched,
// how many people, the assessment of the risk of serious injury, the
// notices to the Commission d'accès à l'information and to the people
// concerned, and every change, dated. Since 22 September 2022 every
// incident goes in the register, even a minor one, and the register is
// kept at least five years after the organization learned of the incident.
//
// The package knows nothing of SQL or HTTP: the Store keeps incidents
// (sealing the free text, which may name people), the Service checks who
// may do what and records every read and change in the audit log.
package incident

import (
	"context"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
)

// ID identifies an incident within its organization's register.
type ID int64

// Kind is what happened, in the words of P 3.6 and A 63.9.
type Kind string

// The kinds of confidentiality incident.
const (
	KindAccess        Kind = "unauthorized_access"
	KindUse           Kind = "unauthorized_use"
	KindCommunication Kind = "unauthorized_communication"
	KindLoss          Kind = "loss"
	KindOther         Kind = "other" // any other breach of the protection of the information
)

// Kinds lists the kinds in the order the law names them.
var Kinds = []Kind{KindAccess, KindUse, KindCommunication, KindLoss, KindOther}

// Status is whether the incident is still being handled.
type Status string

// Statuses of an incident.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Level grades one factor of the risk assessment (P 3.7, A 63.10).
type Level string

// Levels of a factor.
const (
	LevelLow    Level = "low"
	LevelMedium Level = "medium"
	LevelHigh   Level = "high"
)

// Levels lists the levels from lowest to highest.
var Levels = []Level{LevelLow, LevelMedium, LevelHigh}

// RetentionYears is how long the register keeps an incident after the
// organization learned of it (Reg-I s. 7): it cannot be deleted before.
const RetentionYears = 5

// DefaultOverdueHours is how long after the organization learned of an
// incident assessed serious its notices may wait before privaq flags it.
// The law says "promptly" (P 3.5, A 63.8) and sets no number; 72 hours is
// the usual benchmark (it is the GDPR's), and each organization may change
// it.
const DefaultOverdueHours = 72

// Details are the facts of an incident as staff declare and correct them.
// The free texts may name people: the store seals them.
type Details struct {
	Kind                Kind       `json:"kind"`
	OccurredFrom        time.Time  `json:"occurred_from"`
	OccurredTo          *time.Time `json:"occurred_to"`
	OccurredApproximate bool       `json:"occurred_approximate"`
	DiscoveredAt        time.Time  `json:"discovered_at"`
	// Description is the circumstances (Reg-I 3 (4°), 7 (2°)); Cause is
	// their cause, when known.
	Description string `json:"description"`
	Cause       string `json:"cause"`
	// The personal information involved: inventory data categories, a
	// description, or why it is not known (Reg-I 3 (3°), 7 (1°)).
	DataCategories           []string `json:"data_categories"`
	Information              string   `json:"information"`
	InformationUnknownReason string   `json:"information_unknown_reason"`
	// How many people are concerned, and how many live in Quebec;
	// estimates are allowed (Reg-I 3 (7°), 7 (5°)). Nil is not known yet.
	PeopleCount       *int `json:"people_count"`
	PeopleInQuebec    *int `json:"people_in_quebec"`
	PeopleApproximate bool `json:"people_approximate"`
	// The inventory's systems and recipients involved, and the recipient
	// that caused the incident, such as a processor.
	Systems    []string `json:"systems"`
	Recipients []string `json:"recipients"`
	CausedBy   string   `json:"caused_by"`
	// Measures taken or planned to reduce the risk (Reg-I 3 (10°), 7 (8°)).
	Measures string `json:"measures"`
	// NotificationPlan says how and when the people concerned are or will
	// be notified (Reg-I 3 (9°)); OthersNotified names other bodies told,
	// such as the police or an authority outside Quebec (Reg-I 3 (11°)).
	NotificationPlan string `json:"notification_plan"`
	OthersNotified   string `json:"others_notified"`
	// When the notice went to the Commission (recorded by the officer,
	// who files it on the Commission's form), and when a public notice was
	// given and why (Reg-I 6, 7 (7°)).
	CAINotifiedAt      *time.Time `json:"cai_notified_at"`
	PublicNoticeAt     *time.Time `json:"public_notice_at"`
	PublicNoticeReason string     `json:"public_notice_reason"`
	// PersonNotice is the text of the notice to the people concerned.
	PersonNotice PersonNotice `json:"person_notice"`
}

// PersonNotice is what the notice to the people concerned says in the
// organization's words, in French and, for people who read English, in
// English (Reg-I 5). The dates and the contact come from the incident and
// the inventory.
type PersonNotice struct {
	// Information describes the information involved; without it, the
	// notice names the incident's data categories.
	Information   inventory.Text `json:"information,omitzero"`
	Circumstances inventory.Text `json:"circumstances,omitzero"`
	Measures      inventory.Text `json:"measures,omitzero"`
	// Advice is what the person can do to reduce the risk of injury.
	Advice inventory.Text `json:"advice,omitzero"`
}

// Incident is one entry of the register.
type Incident struct {
	ID        ID           `json:"id"`
	OrgID     privaq.OrgID `json:"-"`
	Reference string       `json:"reference"`
	Status    Status       `json:"status"`
	Details
	DeclaredAt time.Time  `json:"declared_at"`
	DeclaredBy string     `json:"declared_by"` // an email or a token name, resolved when read
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at"`
	// Serious is the conclusion of the latest assessment; nil before any.
	Serious    *bool      `json:"serious"`
	AssessedAt *time.Time `json:"assessed_at"`
	// PersonsNotifiedAt is when notices to the people concerned were first
	// sent from privaq (or recorded as posted).
	PersonsNotifiedAt *time.Time `json:"persons_notified_at"`
	People            Counts     `json:"people"`
	// Overdue and ElapsedHours are computed when read (see Overdue).
	Overdue      bool `json:"overdue"`
	ElapsedHours int  `json:"elapsed_hours"`

	// Filled by Service.Get only.
	Assessments []Assessment   `json:"assessments"`
	Disclosures []Disclosure   `json:"disclosures"`
	History     []HistoryEntry `json:"history"`
}

// Counts are where the list of people concerned and their notices stand.
// They stay once the list itself is destroyed (DestroyPeople).
type Counts struct {
	Imported  int        `json:"imported"`
	WithEmail int        `json:"with_email"`
	Queued    int        `json:"emails_queued"`
	Sent      int        `json:"emails_sent"`
	Failed    int        `json:"emails_failed"`
	ToPost    int        `json:"letters_to_post"`
	Posted    int        `json:"letters_posted"`
	Destroyed *time.Time `json:"list_destroyed_at"`
}

// Assessment is one assessment of the risk of serious injury, with the
// three factors of P 3.7 and A 63.10 and the officer's grounds. A later
// assessment revises an earlier one; both stay.
type Assessment struct {
	ID           int64     `json:"id"`
	At           time.Time `json:"assessed_at"`
	By           string    `json:"assessed_by"`
	Sensitivity  Level     `json:"sensitivity"`
	Consequences Level     `json:"consequences"`
	Likelihood   Level     `json:"likelihood"`
	Serious      bool      `json:"serious"`
	Grounds      string    `json:"grounds"`
}

// Disclosure is a communication of personal information, without
// consent, to someone who can reduce the risk (a bank, the police), which
// the organization must record (P 3.5, A 63.8).
type Disclosure struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"disclosed_at"`
	Recipient   string    `json:"recipient"`
	Information string    `json:"information"` // what was disclosed
	Reason      string    `json:"reason"`
	RecordedAt  time.Time `json:"recorded_at"`
	RecordedBy  string    `json:"recorded_by"`
}

// HistoryEntry is one dated change of an incident.
type HistoryEntry struct {
	ID      int64          `json:"id"`
	At      time.Time      `json:"at"`
	Actor   privaq.Actor   `json:"-"`
	By      string         `json:"by"` // an email, a token name or "system", resolved when read
	Action  string         `json:"action"`
	Changes []Change       `json:"changes,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"`
}

// Change is one field's value before and after a change, as shown to
// people (dates, keys and texts as written).
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Person is one person concerned, from the imported list.
type Person struct {
	ID      int64  `json:"id"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
	Lang    string `json:"lang"`
	// Notice is where the person's notice stands; nil before any.
	Notice *NoticeState `json:"notice"`
}

// Channel is how a person's notice goes out.
type Channel string

// Channels of a notice.
const (
	ChannelEmail Channel = "email"
	ChannelPost  Channel = "post"
)

// Delivery states of a person's notice: an email's state in the outbox,
// or a letter to post and then posted.
const (
	StateQueued = "queued"
	StateSent   = "sent"
	StateFailed = "failed"
	StateToPost = "to_post"
	StatePosted = "posted"
)

// NoticeState is where one person's notice stands.
type NoticeState struct {
	Channel Channel    `json:"channel"`
	State   string     `json:"state"`
	At      time.Time  `json:"queued_at"`
	Done    *time.Time `json:"done_at"`
}

// Settings are an organization's choices about its incidents.
type Settings struct {
	// OverdueHours is when an incident assessed serious whose notices are
	// not all given is flagged overdue.
	OverdueHours int `json:"overdue_hours"`
	// NEQ is the organization's Quebec enterprise number, which the notice
	// to the Commission gives when there is one (Reg-I 3 (1°)).
	NEQ string `json:"neq"`
}

// Filter narrows a listing of the register.
type Filter struct {
	Open    *bool
	Serious *bool
	// From and To keep incidents discovered in [From, To); zero for no
	// bound.
	From, To time.Time
}

// Write is what one change to an incident stores besides the incident
// itself, in the same transaction: its history entry, and an assessment
// or a disclosure when the change adds one.
type Write struct {
	History    HistoryEntry
	Assessment *Assessment
	Disclosure *Disclosure
}

// Sent is what sending the notices to the people concerned did.
type Sent struct {
	Queued  int      `json:"emails_queued"`
	ToPost  int      `json:"letters_to_post"`
	Already int      `json:"already_notified"`
	ByPost  []Person `json:"by_post"`
}

// Store keeps the register. Writes run in one transaction with their
// history entry and audit entry; another organization's incident is
// not_found.
type Store interface {
	// CreateIncident numbers inc, stores it with its first history entry
	// and sets its ID, Reference and DeclaredAt.
	CreateIncident(ctx context.Context, org privaq.OrgID, inc *Incident, h HistoryEntry, e audit.Entry) error
	// Incidents lists the register, newest first, without the free texts.
	Incidents(ctx context.Context, org privaq.OrgID, f Filter) ([]Incident, error)
	// Register returns every incident with its texts and its latest
	// assessment, oldest first, for the export.
	Register(ctx context.Context, org privaq.OrgID) ([]Incident, error)
	// Incident returns one incident with its texts, assessments,
	// disclosures and history.
	Incident(ctx context.Context, org privaq.OrgID, id ID) (Incident, error)
	// UpdateIncident gives fn the incident, locked; when fn returns nil the
	// store saves it with what w holds.
	UpdateIncident(ctx context.Context, org privaq.OrgID, id ID, e audit.Entry, fn func(inc *Incident) (Write, error)) (Incident, error)
	// DeleteIncident deletes an incident and everything about it when
	// check, given the incident, returns nil.
	DeleteIncident(ctx context.Context, org privaq.OrgID, id ID, e audit.Entry, check func(Incident) error) error
	// AddPeople stores the people of an imported list.
	AddPeople(ctx context.Context, org privaq.OrgID, id ID, people []Person, h HistoryEntry, e audit.Entry) error
	// People returns the people concerned with where their notice stands.
	People(ctx context.Context, org privaq.OrgID, id ID) ([]Person, error)
	// DestroyPeople erases the list of people and the addresses kept in
	// the outbox for their notices, keeping the counts; check, given the
	// incident, may refuse.
	DestroyPeople(ctx context.Context, org privaq.OrgID, id ID, h HistoryEntry, e audit.Entry, check func(Incident) error) error
	// SendNotices gives fn the incident and the people without a notice
	// yet; unless fn fails, it queues, in one transaction, the email msg
	// writes for each of them with an address and lists the others for a
	// letter.
	SendNotices(ctx context.Context, org privaq.OrgID, id ID, now time.Time, e audit.Entry, fn func(inc *Incident, pending []Person) (HistoryEntry, error),
		msg func(p Person) (pqmail.Message, error)) (Sent, error)
	// MarkPosted records the letters listed to post as posted at, and
	// returns how many.
	MarkPosted(ctx context.Context, org privaq.OrgID, id ID, at time.Time, h HistoryEntry, e audit.Entry) (int, error)
	IncidentSettings(ctx context.Context, org privaq.OrgID) (Settings, error)
	SetIncidentSettings(ctx context.Context, org privaq.OrgID, s Settings, e audit.Entry) error
	// OpenSerious lists, across organizations, the open incidents whose
	// latest assessment is serious, for the daily reminder.
	OpenSerious(ctx context.Context) ([]Incident, error)
	// QueueReminder queues msgs unless org's reminder of day was queued
	// already, and reports whether it queued them.
	QueueReminder(ctx context.Context, org privaq.OrgID, day string, now time.Time, msgs []pqmail.Message) (bool, error)
	audit.Store
}
