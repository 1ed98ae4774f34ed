// Package webhook tells an organization's own systems about its consent
// ledger (SPEC §7): every withdrawal, and every record when the endpoint
// asks for them, is posted to the URLs the organization registered, at
// least once. The events are written to a durable outbox in the very
// transaction that appends their records to the ledger, so an
// acknowledged withdrawal is never lost; the Worker then delivers them,
// signed with HMAC-SHA256 and retried with exponential backoff, and keeps
// every attempt so the admin can show what the endpoint answered.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
)

// Event types. A withdrawal is delivered as consent.withdrawn; any other
// record (granted, refused) as consent.recorded.
const (
	EventWithdrawn = "consent.withdrawn"
	EventRecorded  = "consent.recorded"
)

// Events lists the event types an endpoint may ask for.
var Events = []string{EventWithdrawn, EventRecorded}

// Limits of an endpoint.
const (
	MaxURLLen    = 2000
	MaxEndpoints = 20 // per organization
)

// Endpoint is a URL an organization registered. Its secret is never shown
// after creation.
type Endpoint struct {
	ID        int64        `json:"id"`
	OrgID     privaq.OrgID `json:"-"`
	URL       string       `json:"url"`
	Events    []string     `json:"events"`
	CreatedAt time.Time    `json:"created_at"`
}

// Every reports whether the endpoint receives every record, not only the
// withdrawals.
func (e *Endpoint) Every() bool { return slices.Contains(e.Events, EventRecorded) }

// Receives reports whether the endpoint receives record r.
func (e *Endpoint) Receives(r *consent.Record) bool {
	return r.Decision == consent.Withdrawn || e.Every()
}

// NewEndpoint is an endpoint as created, with the secret its receiver
// verifies signatures with: shown this once.
type NewEndpoint struct {
	Endpoint
	Secret string `json:"secret"`
}

// Status is where a delivery stands.
type Status string

// Statuses of a delivery.
const (
	StatusPending   Status = "pending" // waiting for its first or next attempt
	StatusDelivered Status = "delivered"
	StatusFailed    Status = "failed" // given up after MaxAttempts
)

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID             int64      `json:"id"`
	EventID        string     `json:"event_id"`
	Type           string     `json:"type"`
	RecordID       string     `json:"record_id"`
	Seq            int64      `json:"seq"`
	Status         Status     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastStatusCode int        `json:"last_status_code"` // 0: no answer yet, or none
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	Log            []Attempt  `json:"attempt_log"`
}

// Attempt is one try at a delivery.
type Attempt struct {
	N          int           `json:"attempt"`
	At         time.Time     `json:"at"`
	StatusCode int           `json:"status_code"` // 0 when no answer came
	Error      string        `json:"error"`       // empty on success
	DurationMS int64         `json:"duration_ms"`
	Duration   time.Duration `json:"-"`
}

// OK reports whether the attempt delivered the event.
func (a *Attempt) OK() bool { return a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 }

// Payload is the JSON body posted for an event.
type Payload struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Org       string    `json:"org"` // the organization's slug
	CreatedAt time.Time `json:"created_at"`
	Data      Data      `json:"data"`
}

// Data is the record an event is about, without its evidence (which stays
// in the ledger: the receiver needs the decision, not the proof).
type Data struct {
	ID              string     `json:"id"`
	Seq             int64      `json:"seq"`
	Subject         string     `json:"subject"`
	SubjectCategory string     `json:"subject_category"`
	Purpose         string     `json:"purpose"`
	Decision        string     `json:"decision"`
	Mode            string     `json:"mode"`
	Channel         string     `json:"channel"`
	GivenBy         string     `json:"given_by"`
	Representative  string     `json:"representative"`
	PolicyVersion   int        `json:"policy_version"`
	ExpiresAt       *time.Time `json:"expires_at"`
	RecordedAt      time.Time  `json:"recorded_at"`
	Hash            string     `json:"hash"` // hex SHA-256 of the chain, as in the receipt
}

// TypeOf is the event type of a record.
func TypeOf(r *consent.Record) string {
	if r.Decision == consent.Withdrawn {
		return EventWithdrawn
	}
	return EventRecorded
}

// Body is the JSON posted for record r of the organization org (a slug).
func Body(eventID, org string, r *consent.Record) ([]byte, error) {
	return json.Marshal(Payload{ID: eventID, Type: TypeOf(r), Org: org, CreatedAt: r.RecordedAt.UTC(), Data: Data{
		ID: r.ID, Seq: r.Seq, Subject: r.Subject, SubjectCategory: r.SubjectCategory, Purpose: r.Purpose,
		Decision: string(r.Decision), Mode: string(r.Mode), Channel: r.Channel, GivenBy: string(r.GivenBy),
		Representative: r.Representative, PolicyVersion: r.PolicyVersion, ExpiresAt: r.ExpiresAt,
		RecordedAt: r.RecordedAt.UTC(), Hash: hex.EncodeToString(r.Hash),
	}})
}

// Store keeps the endpoints and the outbox. The ledger's store queues the
// events itself, in the ledger's transaction.
type Store interface {
	// CreateWebhook adds e (setting its ID) with its secret, sealed,
	// unless the organization already has MaxEndpoints; e is recorded
	// in the audit log in the same transaction.
	CreateWebhook(ctx context.Context, e *Endpoint, secret string, a audit.Entry) error
	// Webhooks lists an organization's endpoints, oldest first.
	Webhooks(ctx context.Context, org privaq.OrgID) ([]Endpoint, error)
	// DeleteWebhook removes an endpoint of org and its pending deliveries.
	DeleteWebhook(ctx context.Context, org privaq.OrgID, id int64, a audit.Entry) error
	// WebhookDeliveries lists an endpoint's latest deliveries, newest
	// first, with their attempts.
	WebhookDeliveries(ctx context.Context, org privaq.OrgID, id int64, limit int) ([]Delivery, error)
	// ClaimWebhooks leases up to limit due deliveries (pending, next
	// attempt reached, not leased) until now+lease, counting the attempt,
	// so that two nodes never post the same event at once.
	ClaimWebhooks(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// FinishWebhook records attempt a of job j: delivered when it
	// succeeded, else pending until next, or failed when next is nil.
	FinishWebhook(ctx context.Context, j *Job, a Attempt, next *time.Time) error
	// PruneWebhooks deletes up to limit delivered or failed deliveries
	// created before before, with their attempts, and says how many.
	PruneWebhooks(ctx context.Context, before time.Time, limit int) (int, error)
}

// Job is a claimed delivery, with what posting it needs.
type Job struct {
	ID         int64
	OrgID      privaq.OrgID
	EndpointID int64
	URL        string
	Secret     string
	EventID    string
	Type       string
	Body       []byte
	Attempt    int // this attempt's number, from 1
}

// Service manages an organization's endpoints.
type Service struct {
	Store Store
	Clock privaq.Clock
}

// Create registers an endpoint and returns it with its secret.
func (s *Service) Create(ctx context.Context, actor privaq.Actor, org privaq.OrgID, rawURL string, events []string) (NewEndpoint, error) {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return NewEndpoint{}, err
	}
	u, err := CheckURL(rawURL)
	if err != nil {
		return NewEndpoint{}, err
	}
	events, err = checkEvents(events)
	if err != nil {
		return NewEndpoint{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return NewEndpoint{}, err
	}
	e := Endpoint{OrgID: org, URL: u.String(), Events: events, CreatedAt: s.Clock.Now()}
	// The audit log names the host, not the whole URL: a path or query
	// may carry a credential of the receiver.
	a := audit.New(actor, "webhook.create", "webhook", map[string]any{"host": u.Host, "events": events})
	if err := s.Store.CreateWebhook(ctx, &e, secret, a); err != nil {
		return NewEndpoint{}, err
	}
	return NewEndpoint{Endpoint: e, Secret: secret}, nil
}

// List returns an organization's endpoints, without their secrets.
func (s *Service) List(ctx context.Context, actor privaq.Actor, org privaq.OrgID) ([]Endpoint, error) {
	if err := actor.Require(org, privaq.PermConsentRead); err != nil {
		return nil, err
	}
	return s.Store.Webhooks(ctx, org)
}

// Delete removes an endpoint: nothing more is posted to it, and its
// pending deliveries go with it.
func (s *Service) Delete(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id int64) error {
	if err := actor.Require(org, privaq.PermManageAccess); err != nil {
		return err
	}
	return s.Store.DeleteWebhook(ctx, org, id, audit.New(actor, "webhook.delete", fmt.Sprintf("webhook:%d", id), nil))
}

// RecentDeliveries is how many deliveries Deliveries lists.
const RecentDeliveries = 50

// Deliveries lists an endpoint's latest deliveries with their attempts.
// They name records, not people: no personal information is read.
func (s *Service) Deliveries(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id int64) ([]Delivery, error) {
	if err := actor.Require(org, privaq.PermConsentRead); err != nil {
		return nil, err
	}
	return s.Store.WebhookDeliveries(ctx, org, id, RecentDeliveries)
}

// CheckURL validates an endpoint URL: absolute https, or http for a
// loopback host (a receiver on the same machine, and tests); no
// credentials (they would be shown in clear to every reader of the list:
// the signature authenticates the sender) and no fragment.
func CheckURL(raw string) (*url.URL, error) {
	bad := func(format string, args ...any) (*url.URL, error) {
		return nil, privaq.FieldError("url", format, args...)
	}
	if raw == "" {
		return bad("url is required: the https URL events are posted to")
	}
	if len(raw) > MaxURLLen {
		return bad("url is %d characters long: the limit is %d", len(raw), MaxURLLen)
	}
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, "\x00\r\n\t ") {
		return bad("url must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return bad("url must be an absolute URL, such as https://hooks.example.org/privaq")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch u.Scheme {
	case "https":
	case "http":
		if !Loopback(u.Hostname()) {
			return bad("url must use https (http is allowed only for localhost)")
		}
	default:
		return bad("url must use https")
	}
	if u.User != nil {
		return bad("url must not contain a user name or password: receivers check the Privaq-Signature header instead")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("url must not have a fragment (#…)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("url has an invalid port")
		}
	}
	return u, nil
}

// Loopback reports whether host names this machine.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkEvents validates the event types an endpoint asks for; without
// any, it gets the withdrawals. Every endpoint gets the withdrawals
// (SPEC §7: they are what a receiver must act on), so a list without
// consent.withdrawn is refused rather than silently widened.
func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return []string{EventWithdrawn}, nil
	}
	var out []string
	for i, e := range events {
		if !slices.Contains(Events, e) {
			return nil, privaq.FieldError(fmt.Sprintf("events[%d]", i), "%q is not an event type: use %s", e, strings.Join(Events, " or "))
		}
		if slices.Contains(out, e) {
			return nil, privaq.FieldError(fmt.Sprintf("events[%d]", i), "%q is listed twice", e)
		}
		out = append(out, e)
	}
	if !slices.Contains(out, EventWithdrawn) {
		return nil, privaq.FieldError("events", "every endpoint receives %s: list it, with %s for every record", EventWithdrawn, EventRecorded)
	}
	// One order, whatever the request's.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Events, a) - slices.Index(Events, b) })
	return out, nil
}

// newSecret returns a signing secret: 32 random bytes, printable.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b), nil
}
