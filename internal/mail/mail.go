// Package mail delivers the email privaq writes (confirmation links, policy
// change notices, later letters and reminders) through a durable outbox.
// A change that causes an email queues it in the change's own transaction;
// the Worker then sends what is due through SMTP, retrying failures with
// exponential backoff. Without an SMTP server the messages stay in the
// outbox, where the admin shows them (SPEC §2).
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"privaq"
)

// Status is where a message stands in the outbox.
type Status string

// Statuses of a message.
const (
	StatusPending Status = "pending" // waiting for its next attempt (or for an SMTP server)
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed" // given up after MaxAttempts
)

// Message is one email. To, Text and Headers are sealed at rest.
type Message struct {
	ID      int64
	OrgID   privaq.OrgID
	Kind    string // what the message is, e.g. "policy.confirm"
	Ref     string // what it is about, e.g. "policy/3", so deliveries can be listed
	Lang    string
	To      string
	Subject string
	Text    string
	// Headers are extra headers, such as List-Unsubscribe.
	Headers map[string]string

	Status    Status
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// Store keeps the outbox.
type Store interface {
	// ClaimMail leases up to limit due messages (pending, next attempt
	// reached, not leased) until now+lease, counting the attempt, so that
	// two nodes never send the same message at once.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// MarkMailSent records the delivery of messages ids.
	MarkMailSent(ctx context.Context, ids []int64, at time.Time) error
	// MarkMailFailed records a failed attempt, with the time of the next
	// one, or gives up (StatusFailed) when next is nil.
	MarkMailFailed(ctx context.Context, id int64, msg string, next *time.Time) error
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, msgs []Message) []error
}

// Backoff: the first retry after a minute, doubling up to six hours; after
// MaxAttempts the message is marked failed and shown so in the admin.
const (
	MaxAttempts  = 10
	firstBackoff = time.Minute
	maxBackoff   = 6 * time.Hour
	lease        = 2 * time.Minute
	batch        = 50
)

// Backoff returns the wait before the attempt after attempt n (n ≥ 1),
// with up to 10 % jitter so that retries after an outage spread out.
func Backoff(n int) time.Duration {
	d := firstBackoff << min(n-1, 20)
	d = min(d, maxBackoff)
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}

// Worker sends what the outbox holds.
type Worker struct {
	Store  Store
	Sender Sender
	Clock  privaq.Clock
	Log    *slog.Logger
	// Wake, when signalled, makes the worker look at the outbox now
	// instead of at its next tick.
	Wake chan struct{}
}

// NewWake returns a channel for Worker.Wake.
func NewWake() chan struct{} { return make(chan struct{}, 1) }

// Notify wakes the worker without blocking.
func Notify(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// Run sends due messages every interval (and on Wake) until ctx ends.
// lead reports whether this node is the one that runs background jobs.
func (w *Worker) Run(ctx context.Context, interval time.Duration, lead func(context.Context) bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if lead(ctx) {
			if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
				w.Log.ErrorContext(ctx, "mail_outbox_failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.Wake:
		}
	}
}

// RunOnce sends the messages due now, batch after batch, and returns how
// many were delivered.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := w.Clock.Now()
		msgs, err := w.Store.ClaimMail(ctx, now, lease, batch)
		if err != nil || len(msgs) == 0 {
			return sent, err
		}
		errs := w.Sender.Send(ctx, msgs)
		// The deliveries of a lease are recorded together, after it: a
		// crash in between sends them again once the lease ends, as
		// delivery is at least once anyway.
		var delivered []int64
		for i, m := range msgs {
			if errs[i] == nil {
				delivered = append(delivered, m.ID)
				continue
			}
			var next *time.Time
			if m.Attempts < MaxAttempts {
				t := w.Clock.Now().Add(Backoff(m.Attempts))
				next = &t
			}
			line := errorLine(errs[i])
			w.Log.WarnContext(ctx, "mail_send_failed", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "err", line)
			if err := w.Store.MarkMailFailed(ctx, m.ID, line, next); err != nil {
				return sent, err
			}
		}
		if err := w.Store.MarkMailSent(ctx, delivered, w.Clock.Now()); err != nil {
			return sent, err
		}
		sent += len(delivered)
		if len(msgs) < batch {
			return sent, nil
		}
	}
}

// addressRE finds email addresses, which SMTP errors often repeat.
var addressRE = regexp.MustCompile(`[^\s<>"',;:]+@[^\s<>"',;:]+`)

// errorLine keeps the first line of an error, short enough for the admin,
// without the addresses it may quote: the line is logged and stored in
// clear, and an address names a person.
func errorLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	s = addressRE.ReplaceAllString(s, "<address>")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// SMTP sends through one SMTP server, configured by PRIVAQ_SMTP_URL:
// smtp://user:pass@host:port (STARTTLS required, except on a loopback
// address where it is used when offered) or smtps://… (TLS from the
// start). The query may set from= (the sender address) and tls=none,
// opportunistic or mandatory.
type SMTP struct {
	From string
	opts []gomail.Option
	host string
}

// NewSMTP reads an SMTP URL; defaultFrom is used when the URL has no from=.
func NewSMTP(rawURL, defaultFrom string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("PRIVAQ_SMTP_URL must look like smtp://user:pass@host:port or smtps://…")
	}
	s := &SMTP{host: u.Hostname(), From: u.Query().Get("from")}
	if s.From == "" {
		s.From = defaultFrom
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		opts = append(opts, gomail.WithSSL())
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("PRIVAQ_SMTP_URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	policy := gomail.TLSMandatory
	if ip := net.ParseIP(s.host); s.host == "localhost" || (ip != nil && ip.IsLoopback()) {
		policy = gomail.TLSOpportunistic
	}
	switch u.Query().Get("tls") {
	case "":
	case "none":
		policy = gomail.NoTLS
	case "opportunistic":
		policy = gomail.TLSOpportunistic
	case "mandatory":
		policy = gomail.TLSMandatory
	default:
		return nil, fmt.Errorf("PRIVAQ_SMTP_URL: tls must be none, opportunistic or mandatory")
	}
	if u.Scheme == "smtp" {
		opts = append(opts, gomail.WithTLSPortPolicy(policy))
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	s.opts = opts
	return s, nil
}

// Send delivers msgs over one connection; errs[i] is msgs[i]'s outcome.
func (s *SMTP) Send(ctx context.Context, msgs []Message) []error {
	errs := make([]error, len(msgs))
	c, err := gomail.NewClient(s.host, s.opts...)
	if err == nil {
		err = c.DialWithContext(ctx)
	}
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	defer c.Close()
	for i, m := range msgs {
		gm, err := s.build(m)
		if err == nil {
			err = c.Send(gm)
		}
		errs[i] = err
	}
	return errs
}

func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := gm.From(s.From); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", s.From, err)
	}
	if err := gm.To(m.To); err != nil {
		return nil, errors.New("the recipient address is not valid")
	}
	gm.Subject(m.Subject)
	gm.SetDate()
	gm.SetMessageID()
	gm.SetGenHeader("Content-Language", m.Lang)
	gm.SetGenHeader("Auto-Submitted", "auto-generated")
	for k, v := range m.Headers {
		gm.SetGenHeader(gomail.Header(k), v)
	}
	gm.SetBodyString(gomail.TypeTextPlain, m.Text)
	return gm, nil
}
