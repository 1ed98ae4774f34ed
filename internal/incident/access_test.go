package incident_test

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
)

// calls are the service's operations on one incident, as one actor.
func calls(f *fixture, actor privaq.Actor, o privaq.OrgID, id incident.ID) map[string]func() error {
	yes := true
	keep := func(*incident.Input) error { return nil }
	return map[string]func() error{
		"get":    func() error { _, err := f.svc.Get(ctx, actor, o, id); return err },
		"update": func() error { _, err := f.svc.Update(ctx, actor, o, id, keep, ""); return err },
		"assess": func() error {
			_, err := f.svc.Assess(ctx, actor, o, id, incident.AssessmentInput{"low", "low", "low", &yes, "x"})
			return err
		},
		"disclose": func() error {
			_, err := f.svc.Disclose(ctx, actor, o, id, incident.DisclosureInput{"", "R", "I", "W"})
			return err
		},
		"delete":   func() error { return f.svc.Delete(ctx, actor, o, id) },
		"import":   func() error { _, err := f.svc.ImportPeople(ctx, actor, o, id, []byte("name\nA\n")); return err },
		"people":   func() error { _, err := f.svc.People(ctx, actor, o, id); return err },
		"destroy":  func() error { return f.svc.DestroyPeople(ctx, actor, o, id) },
		"send":     func() error { _, err := f.svc.SendNotices(ctx, actor, o, id); return err },
		"posted":   func() error { _, err := f.svc.MarkPosted(ctx, actor, o, id, ""); return err },
		"cai":      func() error { _, err := f.svc.CAINotice(ctx, actor, o, id, "fr"); return err },
		"preview":  func() error { _, err := f.svc.PersonNoticePreview(ctx, actor, o, id, "fr"); return err },
		"list":     func() error { _, err := f.svc.List(ctx, actor, o, incident.Filter{}); return err },
		"register": func() error { _, err := f.svc.Register(ctx, actor, o, "fr"); return err },
		"declare":  func() error { _, err := f.svc.Declare(ctx, actor, o, declaration()); return err },
		"settings": func() error { _, err := f.svc.Settings(ctx, actor, o); return err },
		"setSettings": func() error {
			_, err := f.svc.SetSettings(ctx, actor, o, incident.Settings{OverdueHours: 48})
			return err
		},
	}
}

// TestTenantIsolation: organization B's officer gets not_found for every
// operation on A's incident, and A's register is unchanged.
func TestTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		before := f.auditActions(t, f.a.ID)
		for name, call := range calls(f, f.bOfficer, f.a.ID, inc.ID) {
			if err := call(); !privaq.IsCode(err, privaq.ENotFound) {
				t.Errorf("B's officer, %s on A: got %v, want not_found", name, err)
			}
		}
		// On its own organization, B's officer does not find A's incident
		// either.
		for _, name := range []string{"get", "update", "assess", "disclose", "delete", "import", "people", "destroy", "send", "posted", "cai", "preview"} {
			if err := calls(f, f.bOfficer, f.b.ID, inc.ID)[name](); !privaq.IsCode(err, privaq.ENotFound) {
				t.Errorf("B's officer, %s of A's incident id in B: got %v, want not_found", name, err)
			}
		}
		if list, err := f.svc.List(ctx, f.bOfficer, f.b.ID, incident.Filter{}); err != nil || len(list) != 0 {
			t.Errorf("B's register: got %d incidents, %v; want none", len(list), err)
		}
		if got := f.auditActions(t, f.a.ID); !slices.Equal(got, before) {
			t.Errorf("A's audit log changed: got %d entries, want %d", len(got), len(before))
		}
		if got, err := f.svc.Get(ctx, f.officer, f.a.ID, inc.ID); err != nil || got.Description != inc.Description || len(got.History) != 1 {
			t.Errorf("A's incident: got %+v, %v; want it unchanged", got, err)
		}
	})
}

// TestPermissions: the officer manages, staff declare and read, auditors
// read, integration tokens get nothing.
func TestPermissions(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		reads := []string{"get", "people", "list", "register", "settings", "preview"}
		manage := []string{"update", "assess", "disclose", "import", "send", "posted", "destroy", "setSettings", "delete"}
		for _, tc := range []struct {
			who     string
			actor   privaq.Actor
			allowed []string
		}{
			{"staff", f.staff, append([]string{"declare"}, reads...)},
			{"auditor", f.auditor, reads},
			{"integration", f.integration, nil},
		} {
			for name, call := range calls(f, tc.actor, f.a.ID, inc.ID) {
				if name == "cai" {
					continue // a read, but refused for its blanks: see TestCAINoticeRefusesBlanks
				}
				err := call()
				if slices.Contains(tc.allowed, name) {
					if privaq.IsCode(err, privaq.EForbidden) {
						t.Errorf("%s %s: got forbidden, want allowed", tc.who, name)
					}
				} else if !privaq.IsCode(err, privaq.EForbidden) {
					t.Errorf("%s %s: got %v, want forbidden", tc.who, name, err)
				}
			}
		}
		for _, name := range manage {
			if err := calls(f, f.officer, f.a.ID, inc.ID)[name](); privaq.IsCode(err, privaq.EForbidden) {
				t.Errorf("officer %s: got forbidden", name)
			}
		}
	})
}

// TestReadsAudited: every read of an incident leaves an audit entry with
// who read it.
func TestReadsAudited(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		f.assessSerious(t, inc.ID)
		cs := calls(f, f.auditor, f.a.ID, inc.ID)
		for _, tc := range []struct{ call, action string }{
			{"get", "incident.read"}, {"list", "incident.list"}, {"people", "incident.people.read"},
			{"register", "incident.export"}, {"preview", "incident.notice.preview"},
		} {
			if err := cs[tc.call](); err != nil {
				t.Fatalf("%s: %v", tc.call, err)
			}
			if got := f.auditActions(t, f.a.ID)[0]; !strings.HasPrefix(got, tc.action+" ") || !strings.HasSuffix(got, " auditor@alpha.test") {
				t.Errorf("%s: last audit entry %q, want %s by the auditor", tc.call, got, tc.action)
			}
		}
	})
}

// TestValidation checks the declaration's rules, each on its field.
func TestValidation(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			name   string
			change func(in *incident.Input)
			fields string
		}{
			{"nothing", func(in *incident.Input) { *in = incident.Input{} }, "kind,occurred_from,discovered_at,description,data_categories"},
			{"unknown kind", func(in *incident.Input) { in.Kind = "theft" }, "kind"},
			{"bad date", func(in *incident.Input) { in.OccurredFrom = "26/02/2026" }, "occurred_from"},
			{"period backwards", func(in *incident.Input) { in.OccurredTo = "2026-02-01" }, "occurred_to"},
			{"learned before it happened", func(in *incident.Input) { in.DiscoveredAt = "2026-02-20" }, "discovered_at"},
			{"future", func(in *incident.Input) { in.DiscoveredAt = "2026-03-05" }, "discovered_at"},
			{"unknown information without a reason", func(in *incident.Input) { in.DataCategories = nil }, "data_categories"},
			{"unknown data category", func(in *incident.Input) { in.DataCategories = []string{"identity", "dna"} }, "data_categories[1]"},
			{"unknown system", func(in *incident.Input) { in.Systems = []string{"mainframe"} }, "systems[0]"},
			{"caused by an unknown recipient", func(in *incident.Input) { in.CausedBy = "acme" }, "caused_by"},
			{"more in Quebec than in all", func(in *incident.Input) { n := 2000; in.PeopleInQuebec = &n }, "people_in_quebec"},
			{"negative count", func(in *incident.Input) { n := -1; in.PeopleCount = &n }, "people_count"},
			{"public notice without a reason", func(in *incident.Input) { in.PublicNoticeAt = "2026-03-02" }, "public_notice_reason"},
			{"notice before the discovery", func(in *incident.Input) { in.CAINotifiedAt = "2026-03-01" }, "cai_notified_at"},
			{"English without French", func(in *incident.Input) { in.PersonNotice.Advice = inventory.Text{EN: "Be careful."} }, "person_notice.advice.fr"},
			{"control character", func(in *incident.Input) { in.Description = "a\x00b" }, "description"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := declaration()
				tc.change(&in)
				_, err := f.svc.Declare(ctx, f.staff, f.a.ID, in)
				if got := fields(err); got != tc.fields || !privaq.IsCode(err, privaq.EValidation) {
					t.Errorf("got fields %q (%v), want %q", got, err, tc.fields)
				}
			})
		}
		in := declaration()
		in.DataCategories, in.InformationUnknownReason = nil, "Le portable volé n’a pas été retrouvé."
		if _, err := f.svc.Declare(ctx, f.staff, f.a.ID, in); err != nil {
			t.Errorf("unknown information with a reason: %v", err)
		}
		if _, err := f.svc.Assess(ctx, f.officer, f.a.ID, 1, incident.AssessmentInput{Sensitivity: "extreme"}); fields(err) != "sensitivity,consequences,likelihood,serious,grounds" {
			t.Errorf("assessment: got %q", fields(err))
		}
		if _, err := f.svc.SetSettings(ctx, f.officer, f.a.ID, incident.Settings{OverdueHours: 0, NEQ: "12"}); fields(err) != "overdue_hours,neq" {
			t.Errorf("settings: got %q", fields(err))
		}
	})
}

// TestOverdueAndReminder: an incident assessed serious whose notices wait
// past the organization's delay is overdue on the dashboard, and its
// officer gets one reminder a day until the notices are given.
func TestOverdueAndReminder(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		f.assessSerious(t, inc.ID)
		r := &incident.Reminder{Store: f.db, Inventory: f.db, Orgs: f.db, Clock: f.clock, Log: discardLog(), BaseURL: "https://privacy.example.org"}
		summary := func() (int, int) {
			open, overdue, err := f.svc.Summary(ctx, f.auditor, f.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return open, overdue
		}
		if open, overdue := summary(); open != 1 || overdue != 0 {
			t.Fatalf("at once: got %d open, %d overdue; want 1, 0", open, overdue)
		}
		// Discovered at 14:30 UTC; 72 hours later it is 14:30, three days on.
		f.clock.Add(71*time.Hour + 29*time.Minute)
		if _, overdue := summary(); overdue != 0 {
			t.Fatalf("after 71 h 59: got %d overdue, want 0", overdue)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("reminder before the delay: got %d, %v", n, err)
		}
		f.clock.Add(2 * time.Minute)
		list, err := f.svc.List(ctx, f.auditor, f.a.ID, incident.Filter{})
		if err != nil || !list[0].Overdue || list[0].ElapsedHours != 72 {
			t.Fatalf("after 72 h: got %+v, %v", list, err)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("reminder: got %d, %v; want 1", n, err)
		}
		if n, err := r.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second run the same day: got %d, %v; want 0", n, err)
		}
		out, err := f.db.Outbox(ctx, f.a.ID, 0, 10)
		if err != nil || len(out) != 1 || out[0].Kind != "incident.reminder" {
			t.Fatalf("outbox: got %+v, %v", out, err)
		}
		m, err := f.db.OutboxMessage(ctx, f.a.ID, out[0].ID)
		if err != nil || m.To != "vieprivee@entraide-jeunesse.example.org" || !strings.Contains(m.Text, "INC-2026-001") ||
			!strings.Contains(m.Text, "https://privacy.example.org/admin/o/alpha/incidents/") || !strings.Contains(m.Text, "avis à la Commission, avis aux personnes concernées") ||
			!strings.Contains(m.Text, "missing: notice to the Commission") {
			t.Errorf("reminder: to %q\n%s\n%v", m.To, m.Text, err)
		}
		// The next morning, another; before 12:00 UTC, none yet.
		f.clock.Add(17 * time.Hour) // 07:31 UTC
		if n, _ := r.RunOnce(ctx); n != 0 {
			t.Errorf("before 12:00 UTC: got %d reminders, want 0", n)
		}
		f.clock.Add(5 * time.Hour)
		if n, _ := r.RunOnce(ctx); n != 1 {
			t.Errorf("next day: got %d reminders, want 1", n)
		}
		// A longer delay chosen by the organization lifts the flag.
		if _, err := f.svc.SetSettings(ctx, f.officer, f.a.ID, incident.Settings{OverdueHours: 24 * 7}); err != nil {
			t.Fatal(err)
		}
		if _, overdue := summary(); overdue != 0 {
			t.Errorf("with a 7-day delay: got %d overdue, want 0", overdue)
		}
		f.clock.Add(24 * time.Hour)
		if n, _ := r.RunOnce(ctx); n != 0 {
			t.Errorf("with a 7-day delay: got %d reminders, want 0", n)
		}
		var queued []mail.Message
		if queued, err = f.db.Outbox(ctx, f.a.ID, 0, 10); err != nil || len(queued) != 2 {
			t.Errorf("reminders queued in all: got %d, %v; want 2", len(queued), err)
		}
	})
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
