package mail_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/mail/mailtest"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

type fixture struct {
	db     *store.DB
	clock  *privaq.ManualClock
	svc    *policy.Service
	org    org.Org
	smtp   *mailtest.Server
	worker *mail.Worker
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	clock := privaq.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	orgs := &org.Service{Store: db, Clock: clock}
	o, err := orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr")
	if err != nil {
		t.Fatal(err)
	}
	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, clock: clock, org: o, smtp: srv,
		svc:    &policy.Service{Store: db, Subscribers: db, Clock: clock, BaseURL: "https://privacy.example.test"},
		worker: &mail.Worker{Store: db, Sender: sender, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
}

func (f *fixture) subscribe(t *testing.T, email, client string) {
	t.Helper()
	if err := f.svc.Subscribe(ctx, f.org.ID, f.org.Name, f.org.Slug, email, "en", client); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) runOnce(t *testing.T) int {
	t.Helper()
	n, err := f.worker.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutboxRetriesThenDelivers checks the path of one message: kept in
// the outbox, refused once by the server, retried after the backoff, and
// recorded as sent with its attempts.
func TestOutboxRetriesThenDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.subscribe(t, "Lea.Tremblay@example.org", "203.0.113.0")
		f.smtp.FailNext(1)
		if n := f.runOnce(t); n != 0 {
			t.Fatalf("first attempt: %d sent, want 0 (the server refuses it)", n)
		}
		box, err := db.Outbox(ctx, f.org.ID, 0, 10)
		if err != nil || len(box) != 1 {
			t.Fatalf("outbox: %v, %v", box, err)
		}
		m := box[0]
		if m.Status != mail.StatusPending || m.Attempts != 1 || !strings.Contains(m.LastError, "451") || !m.NextAt.After(f.clock.Now()) {
			t.Fatalf("after a refusal: %+v, want pending, 1 attempt, the 451 error and a later next attempt", m)
		}
		if n := f.runOnce(t); n != 0 {
			t.Fatalf("before the backoff: %d sent, want 0", n)
		}
		f.clock.Add(mail.Backoff(1) + time.Minute)
		if n := f.runOnce(t); n != 1 {
			t.Fatalf("after the backoff: %d sent, want 1", n)
		}
		got := f.smtp.Wait(t, 1)[0]
		if got.To[0] != "lea.tremblay@example.org" || got.From != "privaq@example.test" || got.Header.Get("Content-Language") != "en" ||
			!strings.HasPrefix(got.Subject, "Confirm your subscription") ||
			!strings.Contains(got.Body, "https://privacy.example.test/o/alpha/privacy/subscribe/confirm?t=") {
			t.Errorf("received %+v", got)
		}
		m, err = db.OutboxMessage(ctx, f.org.ID, m.ID)
		if err != nil || m.Status != mail.StatusSent || m.Attempts != 2 || m.SentAt == nil || m.To != "lea.tremblay@example.org" {
			t.Errorf("the record of the delivery: %+v, %v", m, err)
		}
		// Another organization cannot read the message.
		if _, err := db.OutboxMessage(ctx, f.org.ID+1, m.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("another organization's read: got %v, want not_found", err)
		}
	})
}

// TestOutboxGivesUp checks that a message refused MaxAttempts times is
// marked failed and no longer tried.
func TestOutboxGivesUp(t *testing.T) {
	db := storetest.Open(t, "")
	f := newFixture(t, db)
	f.subscribe(t, "a@example.org", "203.0.113.0")
	f.smtp.FailNext(mail.MaxAttempts)
	for range mail.MaxAttempts {
		f.runOnce(t)
		f.clock.Add(7 * time.Hour)
	}
	box, _ := db.Outbox(ctx, f.org.ID, 0, 10)
	if len(box) != 1 || box[0].Status != mail.StatusFailed || box[0].Attempts != mail.MaxAttempts {
		t.Fatalf("after %d refusals: %+v, want failed", mail.MaxAttempts, box)
	}
	if n := f.runOnce(t); n != 0 || len(f.smtp.Messages()) != 0 {
		t.Error("a failed message was tried again")
	}
}

// TestTwoWorkersSendOnce runs two workers at once on the same outbox, as
// two nodes would: every message arrives exactly once.
func TestTwoWorkersSendOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const n = 30
		for i := range n {
			f.subscribe(t, fmt.Sprintf("p%d@example.org", i), fmt.Sprintf("198.51.%d.0", i))
		}
		other := *f.worker
		var wg sync.WaitGroup
		for _, w := range []*mail.Worker{f.worker, &other} {
			wg.Go(func() {
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := f.smtp.Wait(t, n)
		seen := map[string]bool{}
		for _, m := range got {
			if seen[m.To[0]] {
				t.Errorf("%s received twice", m.To[0])
			}
			seen[m.To[0]] = true
		}
		if len(got) != n {
			t.Errorf("%d messages received, want %d", len(got), n)
		}
	})
}

func TestBackoff(t *testing.T) {
	prev := time.Duration(0)
	for n := 1; n <= mail.MaxAttempts; n++ {
		d := mail.Backoff(n)
		if d < prev || d > 6*time.Hour+36*time.Minute {
			t.Errorf("Backoff(%d) = %v after %v", n, d, prev)
		}
		prev = d - d/10
	}
}

func TestNewSMTPRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://mail.example.org", "smtp://", "smtp://mail.example.org:x", "smtp://mail.example.org?tls=maybe"} {
		if _, err := mail.NewSMTP(u, "a@example.org"); err == nil {
			t.Errorf("NewSMTP(%q): no error", u)
		}
	}
}

// TestOutboxMasksLinks: staff reading the outbox see that a personal
// link was sent, never its token, while the email itself carries it.
func TestOutboxMasksLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.subscribe(t, "reader@example.org", "192.0.2.0/24")
		f.runOnce(t)
		sent := f.smtp.Wait(t, 1)[0]
		token := regexp.MustCompile(`[?&]t=([A-Za-z0-9_-]{16,})`).FindStringSubmatch(sent.Body)
		if token == nil {
			t.Fatalf("no link in the sent email")
		}
		list, _ := db.Outbox(ctx, f.org.ID, 0, 10)
		o := &mail.Outbox{Store: db, Audit: db}
		m, err := o.Read(ctx, privaq.System(f.org.ID), f.org.ID, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.Text, token[1]) || !strings.Contains(m.Text, "t=…") {
			t.Errorf("the outbox shows the link's token:\n%s", m.Text)
		}
	})
}
