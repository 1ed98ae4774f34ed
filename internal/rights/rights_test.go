package rights_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/org"
	"privaq/internal/rights"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

// start is a Monday afternoon in Quebec.
var start = time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC)

type fixture struct {
	db                      *store.DB
	svc                     *rights.Service
	clock                   *privaq.ManualClock
	a, b                    org.Org
	officer, staff, auditor privaq.Actor
	bOfficer, integration   privaq.Actor
}

func newFixture(t testing.TB, db *store.DB, regime inventory.Regime) *fixture {
	t.Helper()
	clock := privaq.NewManualClock(start)
	orgs := &org.Service{Store: db, Clock: clock}
	f := &fixture{db: db, clock: clock, svc: &rights.Service{Store: db, Inventory: db, Orgs: db, Clock: clock, BaseURL: "https://privacy.example"}}
	var err error
	if f.a, err = orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", regime, "en"); err != nil {
		t.Fatal(err)
	}
	if f.b, err = orgs.CreateOrg(ctx, privaq.System(0), "beta", "Beta", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatal(err)
	}
	doc := inventory.Demo()
	doc.Org.Regime = regime
	if regime != inventory.RegimePrivate {
		doc.Policy.RequestDelayDays = 20
	}
	if _, err := (&inventory.Service{Store: db}).Replace(ctx, privaq.System(f.a.ID), f.a.ID, doc); err != nil {
		t.Fatal(err)
	}
	actor := func(o org.Org, role privaq.Role) privaq.Actor {
		u, _, err := orgs.AddUser(ctx, privaq.System(o.ID), o.ID, fmt.Sprintf("%s@%s.test", role, o.Slug), "", role, "correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		a, err := orgs.ActorFor(ctx, u, o.ID, "192.0.2.0/24")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.officer, f.staff, f.auditor = actor(f.a, privaq.RoleOfficer), actor(f.a, privaq.RoleStaff), actor(f.a, privaq.RoleAuditor)
	f.bOfficer = actor(f.b, privaq.RoleOfficer)
	_, tok, err := orgs.CreateToken(ctx, privaq.System(f.a.ID), f.a.ID, privaq.RoleIntegration, "crm")
	if err != nil {
		t.Fatal(err)
	}
	f.integration = privaq.Actor{Kind: privaq.ActorToken, TokenID: tok.ID, OrgID: f.a.ID, Role: privaq.RoleIntegration}
	return f
}

func each(t *testing.T, regime inventory.Regime, fn func(t *testing.T, f *fixture)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newFixture(t, db, regime)) })
}

func input() rights.Input {
	return rights.Input{Type: rights.TypeAccess, Requester: rights.Person{Name: "Élise Tremblay", Email: "elise@exemple.qc.ca"},
		Details: "Je veux savoir quels renseignements vous détenez à mon sujet.", Lang: "fr"}
}

var tokenRE = regexp.MustCompile(`[?&]t=([A-Za-z0-9_-]{43})`)

// lastMail returns the newest email of org, opened.
func (f *fixture) mails(t *testing.T, o privaq.OrgID) []string {
	t.Helper()
	list, err := f.db.Outbox(ctx, o, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range list {
		full, err := f.db.OutboxMessage(ctx, o, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, full.Kind+"|"+full.To+"|"+full.Subject+"|"+full.Text)
	}
	return out
}

func token(t *testing.T, text string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link token in %q", text)
	}
	return m[1]
}

func TestPublicSubmitConfirmStatus(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		if err := f.svc.Submit(ctx, f.a.ID, input(), "198.51.100.0/24"); err != nil {
			t.Fatal(err)
		}
		// Unconfirmed: staff see nothing yet.
		list, err := f.svc.List(ctx, f.staff, f.a.ID, rights.Filter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("list before confirmation: got %d, %v; want 0", len(list), err)
		}
		mails := f.mails(t, f.a.ID)
		if len(mails) != 1 || !strings.HasPrefix(mails[0], "request.confirm|elise@exemple.qc.ca|") {
			t.Fatalf("got mails %q, want one confirmation", mails)
		}
		if !strings.Contains(mails[0], "auprès d’Entraide") {
			t.Errorf("the confirmation does not elide « de » before the name:\n%s", mails[0])
		}
		confirm := token(t, mails[0])
		f.clock.Add(2 * time.Hour)
		r, status, err := f.svc.Confirm(ctx, f.a.ID, confirm)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != rights.StatusReceived || r.Reference != "REQ-2026-001" {
			t.Fatalf("got %s %s, want received REQ-2026-001", r.Status, r.Reference)
		}
		// Received Monday 2 March 13:00 in Montreal: 30 days later is
		// Wednesday 1 April, end of day, EDT.
		if want := time.Date(2026, 4, 2, 3, 59, 59, 999999000, time.UTC); !r.DueAt.Equal(want) {
			t.Fatalf("due: got %s, want %s", r.DueAt, want)
		}
		// The link is good once.
		if _, _, err := f.svc.Confirm(ctx, f.a.ID, confirm); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("second confirmation: got %v, want validation_failed", err)
		}
		mails = f.mails(t, f.a.ID)
		if len(mails) != 2 || !strings.Contains(mails[0], "request.acknowledgement|") || !strings.Contains(mails[0], "REQ-2026-001") ||
			!strings.Contains(mails[0], "1er\u00a0avril\u00a02026") {
			t.Fatalf("acknowledgement: got %q", mails[0])
		}
		if got := token(t, mails[0]); got != status {
			t.Fatalf("status link: got %s, want %s", got, status)
		}
		pub, err := f.svc.Status(ctx, f.a.ID, status)
		if err != nil || pub.ID != r.ID || len(pub.Letters) != 1 {
			t.Fatalf("status page: got %+v, %v", pub, err)
		}
		// The secret link is in the email only, never in the file's copy.
		if strings.Contains(pub.Letters[0].Text, status) || !strings.Contains(pub.Letters[0].Text, "envoyé par courriel seulement") {
			t.Errorf("the kept acknowledgement holds the status link:\n%s", pub.Letters[0].Text)
		}
		// Another organization's pages know nothing of the token.
		if _, err := f.svc.Status(ctx, f.b.ID, status); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("status on org B: got %v, want validation_failed", err)
		}
	})
}

func TestConfirmationExpires(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		if err := f.svc.Submit(ctx, f.a.ID, input(), "198.51.100.0/24"); err != nil {
			t.Fatal(err)
		}
		confirm := token(t, f.mails(t, f.a.ID)[0])
		f.clock.Add(73 * time.Hour)
		if _, _, err := f.svc.Confirm(ctx, f.a.ID, confirm); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("expired link: got %v, want validation_failed", err)
		}
		if _, _, err := f.svc.Confirm(ctx, f.a.ID, "not-a-token"); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("malformed link: got %v, want validation_failed", err)
		}
	})
}

func TestSubmitRefusesBadInputAndFloods(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		for _, c := range []struct {
			name  string
			edit  func(*rights.Input)
			field string
		}{
			{"unknown type", func(in *rights.Input) { in.Type = "erase-everything" }, "type"},
			{"bad email", func(in *rights.Input) { in.Requester.Email = "elise@" }, "requester.email"},
			{"no email", func(in *rights.Input) { in.Requester.Email = "" }, "requester.email"},
			{"no name", func(in *rights.Input) { in.Requester.Name = " " }, "requester.name"},
			{"representative without capacity", func(in *rights.Input) { in.Represented = &rights.Represented{Name: "Léo"} }, "represented.capacity"},
		} {
			in := input()
			c.edit(&in)
			err := f.svc.Submit(ctx, f.a.ID, in, "198.51.100.0/24")
			var pe *privaq.Error
			if v, ok := err.(privaq.ValidationErrors); ok && len(v) > 0 {
				pe = v[0]
			} else if e, ok := err.(*privaq.Error); ok {
				pe = e
			}
			if pe == nil || pe.Field != c.field || pe.FR == "" {
				t.Errorf("%s: got %v, want a validation error on %s with French text", c.name, err, c.field)
			}
		}
		if got := f.mails(t, f.a.ID); len(got) != 0 {
			t.Fatalf("bad input sent %d mails, want 0", len(got))
		}
		for i := range 5 {
			if err := f.svc.Submit(ctx, f.a.ID, input(), "203.0.113.0/24"); err != nil {
				t.Fatalf("submit %d: %v", i, err)
			}
		}
		if err := f.svc.Submit(ctx, f.a.ID, input(), "203.0.113.0/24"); !privaq.IsCode(err, privaq.ERateLimited) {
			t.Fatalf("sixth submit: got %v, want rate_limited", err)
		}
	})
}

func TestStaffWorkflowPrivate(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		in := input()
		in.Channel, in.ReceivedAt = rights.ChannelMail, "2026-02-27"
		in.Represented = &rights.Represented{Name: "Léo Tremblay", Capacity: rights.CapacityParent}
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		// 27 February + 30 days = 29 March 2026, a Sunday: moved to Monday 30.
		if got := rights.FormatDate(r.DueAt, "en"); got != "March 30, 2026" {
			t.Fatalf("due: got %s, want March 30, 2026", got)
		}
		if _, err := f.svc.Create(ctx, f.integration, f.a.ID, in); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("integration create: got %v, want forbidden", err)
		}
		if _, err := f.svc.Create(ctx, f.auditor, f.a.ID, in); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("auditor create: got %v, want forbidden", err)
		}
		// Nothing is done before the identity is verified (P 30).
		if _, err := f.svc.Start(ctx, f.staff, f.a.ID, r.ID); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("start before identity: got %v, want conflict", err)
		}
		if _, err := f.svc.Answer(ctx, f.staff, f.a.ID, r.ID, rights.Answer{Outcome: rights.OutcomeGranted}); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("grant before identity: got %v, want conflict", err)
		}
		if _, err := f.svc.VerifyIdentity(ctx, f.staff, f.a.ID, r.ID, "scanned-passport", "", "staff"); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("unknown method: got %v, want validation_failed", err)
		}
		if r, err = f.svc.VerifyIdentity(ctx, f.staff, f.a.ID, r.ID, "document_seen", "Permis de conduire vu au comptoir, non copié.", "staff@alpha.test"); err != nil {
			t.Fatal(err)
		}
		if r.Status != rights.StatusVerified || r.Identity.Method != "document_seen" {
			t.Fatalf("got %s %+v, want verified", r.Status, r.Identity)
		}
		// The private sector's delay cannot be extended (P 32).
		if _, err := f.svc.Extend(ctx, f.staff, f.a.ID, r.ID, "Volume"); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("private extension: got %v, want conflict", err)
		}
		if _, err := f.svc.Note(ctx, f.staff, f.a.ID, r.ID, "Appel au parent pour préciser la période."); err != nil {
			t.Fatal(err)
		}
		// A refusal needs reasons and articles (P 34).
		_, err = f.svc.Answer(ctx, f.staff, f.a.ID, r.ID, rights.Answer{Outcome: rights.OutcomeRefused})
		if v, ok := err.(privaq.ValidationErrors); !ok || len(v) != 2 {
			t.Fatalf("bare refusal: got %v, want two validation errors", err)
		}
		f.clock.Add(40 * 24 * time.Hour)
		list, err := f.svc.List(ctx, f.staff, f.a.ID, rights.Filter{})
		if err != nil || len(list) != 1 || !list[0].Overdue || !list[0].DeemedRefused() || list[0].Urgency() != "overdue" {
			t.Fatalf("overdue: got %+v, %v", list, err)
		}
		r, err = f.svc.Answer(ctx, f.officer, f.a.ID, r.ID, rights.Answer{Outcome: rights.OutcomePartial,
			Reasons:  rights.Text{FR: "Certains renseignements concernent une autre personne.", EN: "Some information is about another person."},
			Articles: []string{"P 40"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != rights.StatusAnswered || r.HoldUntil == nil || !r.Held {
			t.Fatalf("answered: got %s hold %v held %v", r.Status, r.HoldUntil, r.Held)
		}
		if _, err := f.svc.Note(ctx, f.staff, f.a.ID, r.ID, "après"); err != nil {
			t.Fatalf("a note on a closed file: %v", err)
		}
		if _, err := f.svc.Withdraw(ctx, f.staff, f.a.ID, r.ID, ""); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("withdraw after answer: got %v, want conflict", err)
		}
		got, err := f.svc.Get(ctx, f.auditor, f.a.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Letters) != 2 || got.Letters[1].Kind != rights.LetterAnswer {
			t.Fatalf("letters: got %+v", got.Letters)
		}
		if ack := got.Letters[0]; !strings.Contains(ack.Subject, "REQ-2026-001") || !strings.Contains(ack.Text, "référence est REQ-2026-001") {
			t.Fatalf("acknowledgement without its reference: %s\n%s", ack.Subject, ack.Text)
		}
		answer := got.Letters[1].Text
		for _, want := range []string{"en partie", "P 40", "Commission d’accès à l’information", "d’examiner la mésentente", "30 jours qui suivent"} {
			if !strings.Contains(answer, want) {
				t.Errorf("answer letter lacks %q:\n%s", want, answer)
			}
		}
		var actions []string
		for _, ev := range got.Events {
			actions = append(actions, ev.Action)
		}
		if want := "entered identity_verified note answered note"; strings.Join(actions, " ") != want {
			t.Fatalf("events: got %q, want %q", strings.Join(actions, " "), want)
		}
		var pdf bytes.Buffer
		if err := got.Letters[1].PDF(&pdf, "Alpha", got.Reference); err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
			t.Fatalf("letter PDF: %v", err)
		}
		st, err := f.svc.Stats(ctx, f.auditor, f.a.ID)
		if err != nil || st.Total != 1 || st.Answered != 1 || st.AnsweredLate != 1 || st.WorstDays < 40 {
			t.Fatalf("stats: got %+v, %v", st, err)
		}
		// Every read and change is in the audit log.
		es, err := f.db.ListAudit(ctx, f.a.ID, audit.Filter{Limit: 100, Action: "request."})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range es {
			seen[e.Action] = true
		}
		for _, a := range []string{"request.create", "request.verify_identity", "request.answer", "request.read", "request.list"} {
			if !seen[a] {
				t.Errorf("audit lacks %s", a)
			}
		}
	})
}

func TestPublicBodyExtension(t *testing.T) {
	each(t, inventory.RegimePublic, func(t *testing.T, f *fixture) {
		in := input()
		in.ReceivedAt = "2026-03-02"
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Law != rights.LawPublic || rights.FormatDate(r.DueAt, "en") != "March 23, 2026" {
			// 2 March + 20 days = Sunday 22 March, moved to Monday 23.
			t.Fatalf("got %s due %s, want public due March 23, 2026", r.Law, rights.FormatDate(r.DueAt, "en"))
		}
		if _, err := f.svc.Extend(ctx, f.staff, f.a.ID, r.ID, ""); !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("extension without reason: got %v, want validation_failed", err)
		}
		r, err = f.svc.Extend(ctx, f.staff, f.a.ID, r.ID, "Les documents sont archivés hors site.")
		if err != nil {
			t.Fatal(err)
		}
		if got := rights.FormatDate(r.DueAt, "en"); got != "April 1, 2026" {
			t.Fatalf("extended due: got %s, want April 1, 2026", got)
		}
		if _, err := f.svc.Extend(ctx, f.staff, f.a.ID, r.ID, "Encore"); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("second extension: got %v, want conflict", err)
		}
		mails := f.mails(t, f.a.ID)
		if len(mails) != 2 || !strings.HasPrefix(mails[0], "request.extension|") || !strings.Contains(mails[0], "article 98") {
			t.Fatalf("extension notice: got %q", mails)
		}
	})
}

// TestLateExtension: past the first delay, the extension comes too late
// (A 98).
func TestLateExtension(t *testing.T) {
	each(t, inventory.RegimePublic, func(t *testing.T, f *fixture) {
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, input())
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Add(25 * 24 * time.Hour)
		if _, err := f.svc.Extend(ctx, f.staff, f.a.ID, r.ID, "Trop tard"); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("late extension: got %v, want conflict", err)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, input())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Get(ctx, f.bOfficer, f.a.ID, r.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Fatalf("B reads A's request: got %v, want not_found", err)
		}
		if _, err := f.svc.Get(ctx, f.bOfficer, f.b.ID, r.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Fatalf("B reads A's request id in B: got %v, want not_found", err)
		}
		if _, err := f.svc.Answer(ctx, f.bOfficer, f.b.ID, r.ID, rights.Answer{Outcome: rights.OutcomeRefused,
			Reasons: rights.Text{FR: "x"}, Articles: []string{"P 1"}}); !privaq.IsCode(err, privaq.ENotFound) {
			t.Fatalf("B answers A's request: got %v, want not_found", err)
		}
		list, err := f.svc.List(ctx, f.bOfficer, f.b.ID, rights.Filter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("B's list: got %d, %v; want 0", len(list), err)
		}
	})
}

// TestSealedAtRest proves the requester's name, email and details never
// reach the SQLite file in clear.
func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, inventory.RegimePrivate)
	if _, err := f.svc.Create(ctx, f.staff, f.a.ID, input()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var all []byte
	for _, name := range []string{"privaq.db", "privaq.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		all = append(all, b...)
	}
	for _, secret := range []string{"Élise Tremblay", "elise@exemple.qc.ca", "quels renseignements"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q is in the database file in clear", secret)
		}
	}
}

func TestReminders(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		r, err := f.svc.Create(ctx, f.staff, f.a.ID, input())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Assign(ctx, f.officer, f.a.ID, r.ID, f.staff.UserID); err != nil {
			t.Fatal(err)
		}
		rm := &rights.Reminder{Service: f.svc, Users: f.db}
		count := func() int {
			n := 0
			for _, m := range f.mails(t, f.a.ID) {
				if strings.HasPrefix(m, "request.reminder|staff@alpha.test|") {
					n++
				}
			}
			return n
		}
		for _, step := range []struct {
			days int
			want int
		}{{10, 0}, {24, 1}, {25, 1}, {28, 2}, {29, 2}} {
			f.clock.Add(time.Duration(step.days)*24*time.Hour - f.clock.Now().Sub(start))
			if _, err := rm.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if got := count(); got != step.want {
				t.Fatalf("day %d: got %d reminders, want %d", step.days, got, step.want)
			}
		}
	})
}
