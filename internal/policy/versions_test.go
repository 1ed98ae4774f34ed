package policy_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

type fixture struct {
	db    *store.DB
	inv   *inventory.Service
	svc   *policy.Service
	clock *privaq.ManualClock
	org   privaq.OrgID
	po    policy.Org
	actor privaq.Actor
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	c := privaq.NewManualClock(time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC))
	orgs := &org.Service{Store: db, Clock: c}
	o, err := orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr")
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{Store: db}
	if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, inv: inv, svc: &policy.Service{Store: db, Subscribers: db, Inventory: inv, Clock: c}, clock: c, org: o.ID, po: policy.Org{ID: o.ID, Slug: o.Slug},
		actor: privaq.Actor{Kind: privaq.ActorUser, UserID: 1, OrgID: o.ID, Role: privaq.RoleStaff}}
}

// addConsentPurpose gives an activity the express-consent newsletter
// purpose it did not have: a significant change.
func addConsentPurpose(d *inventory.Document) string {
	for i, a := range d.Activities {
		if !slices.Contains(a.Purposes, "newsletter") {
			d.Activities[i].Purposes = append(d.Activities[i].Purposes, "newsletter")
			return a.Key
		}
	}
	panic("every activity has the newsletter purpose")
}

func wantCode(t *testing.T, err error, code privaq.Code, field string) {
	t.Helper()
	if !privaq.IsCode(err, code) {
		t.Fatalf("error: got %v, want code %s", err, code)
	}
	var pe *privaq.Error
	if field != "" && (!errors.As(err, &pe) || pe.Field != field) {
		t.Errorf("error field: got %v, want %s", err, field)
	}
}

func statuses(t *testing.T, f *fixture) string {
	t.Helper()
	vs, err := f.svc.Versions(ctx, f.actor, f.org)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, string(v.Status))
	}
	return strings.Join(out, " ")
}

func renderHTML(t *testing.T, v policy.Version) string {
	t.Helper()
	p, err := v.Render("fr", "alpha", "https://privacy.example.org")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.HTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestVersionLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		v1, err := f.svc.CreateDraft(ctx, f.actor, f.org)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Number != 1 || v1.Status != policy.StatusDraft || len(v1.Changes) != 0 || v1.Significant {
			t.Fatalf("first draft: got %d %s %v, want 1 draft without changes", v1.Number, v1.Status, v1.Changes)
		}
		if _, err := f.svc.PublishedVersion(ctx, f.org, 1); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("a draft in public: got %v, want not_found", err)
		}
		// Without a current version, publishing may be immediate.
		pub, err := f.svc.Publish(ctx, f.actor, f.po, 1, policy.Publication{Summary: inventory.Text{FR: "Première version"}})
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != policy.StatusCurrent || !pub.EffectiveAt.Equal(f.clock.Now()) {
			t.Errorf("first publication: got %s at %v, want current now", pub.Status, pub.EffectiveAt)
		}
		_, err = f.svc.Publish(ctx, f.actor, f.po, 1, policy.Publication{})
		wantCode(t, err, privaq.EConflict, "")
		_, err = f.svc.Publish(ctx, f.actor, f.po, 99, policy.Publication{})
		wantCode(t, err, privaq.ENotFound, "")
		published, err := f.svc.Version(ctx, f.actor, f.org, 1)
		if err != nil {
			t.Fatal(err)
		}
		before := renderHTML(t, published)

		// A significant change to the inventory.
		doc := inventory.Demo()
		act := addConsentPurpose(doc)
		if _, err := f.inv.Replace(ctx, privaq.System(f.org), f.org, doc); err != nil {
			t.Fatal(err)
		}
		v2, err := f.svc.CreateDraft(ctx, f.actor, f.org)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Number != 2 || !v2.Significant || len(v2.Changes) != 1 || v2.Changes[0].Key != act+"/newsletter" {
			t.Fatalf("second draft: got %d significant=%v %+v, want 2, significant, purpose added to %s", v2.Number, v2.Significant, v2.Changes, act)
		}

		// The published version still renders from its snapshot.
		again, err := f.svc.Version(ctx, f.actor, f.org, 1)
		if err != nil {
			t.Fatal(err)
		}
		if after := renderHTML(t, again); after != before {
			t.Errorf("version 1 changed after the inventory did")
		}

		// Notice period: 30 days in the demo's policy.
		_, err = f.svc.Publish(ctx, f.actor, f.po, 2, policy.Publication{EffectiveAt: f.clock.Now().AddDate(0, 0, 10)})
		wantCode(t, err, privaq.EValidation, "effective_at")
		_, err = f.svc.Publish(ctx, f.actor, f.po, 2, policy.Publication{Editorial: true, Reason: "  "})
		wantCode(t, err, privaq.EValidation, "reason")
		_, err = f.svc.Publish(ctx, f.actor, f.po, 2, policy.Publication{EffectiveAt: f.clock.Now().AddDate(-1, 0, 0)})
		wantCode(t, err, privaq.EValidation, "effective_at")
		reader := privaq.Actor{Kind: privaq.ActorUser, UserID: 2, OrgID: f.org, Role: privaq.RoleAuditor}
		_, err = f.svc.Publish(ctx, reader, f.po, 2, policy.Publication{})
		wantCode(t, err, privaq.EForbidden, "")
		_, err = f.svc.CreateDraft(ctx, reader, f.org)
		wantCode(t, err, privaq.EForbidden, "")

		at := f.clock.Now().AddDate(0, 0, 30)
		summary := inventory.Text{FR: "Nouvelle fin", EN: "New purpose"}
		v2, err = f.svc.Publish(ctx, f.actor, f.po, 2, policy.Publication{EffectiveAt: at, Summary: summary})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := statuses(t, f), "scheduled current"; got != want {
			t.Errorf("statuses: got %q, want %q", got, want)
		}
		pv, err := f.svc.PublicView(ctx, f.org)
		if err != nil {
			t.Fatal(err)
		}
		if pv.Current == nil || pv.Current.Number != 1 || pv.Next == nil || pv.Next.Number != 2 || pv.Next.Summary != summary {
			t.Errorf("public view during the notice: got %+v, want current 1 and next 2", pv)
		}

		// Round trip of what was stored.
		got, err := db.PolicyVersion(ctx, f.org, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary != summary || !got.EffectiveAt.Equal(at) || got.Editorial || got.CreatedByUser != 1 ||
			got.CreatedBy != privaq.ActorUser || !got.Significant || len(got.Changes) != 1 || got.Inventory == nil {
			t.Errorf("stored version 2: got %+v", got)
		}
		if got.Inventory.Officer != inventory.Demo().Officer || got.Inventory.Officer.IsZero() {
			t.Errorf("stored officer: got %+v, want the demo's (sealed at rest, opened on read)", got.Inventory.Officer)
		}

		f.clock.Add(30*24*time.Hour + time.Second)
		if got, want := statuses(t, f), "current superseded"; got != want {
			t.Errorf("statuses after the notice: got %q, want %q", got, want)
		}

		// An editorial change with a reason skips the notice.
		if _, err := f.svc.CreateDraft(ctx, f.actor, f.org); err != nil {
			t.Fatal(err)
		}
		if got, want := statuses(t, f), "draft current superseded"; got != want {
			t.Errorf("statuses with a draft: got %q, want %q", got, want)
		}
		v3, err := f.svc.Publish(ctx, f.actor, f.po, 3, policy.Publication{Editorial: true, Reason: "Coquille corrigée"})
		if err != nil {
			t.Fatal(err)
		}
		if v3.Status != policy.StatusCurrent {
			t.Errorf("editorial publication: got %s, want current", v3.Status)
		}
		if got, want := statuses(t, f), "current superseded superseded"; got != want {
			t.Errorf("statuses after the editorial change: got %q, want %q", got, want)
		}

		entries, err := db.ListAudit(ctx, f.org, audit.Filter{Limit: 100, Action: "policy."})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action+" "+e.Target)
		}
		want := []string{"policy.publish policy/3", "policy.draft policy/3", "policy.publish policy/2", "policy.draft policy/2", "policy.publish policy/1", "policy.draft policy/1"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit: got %v, want %v", actions, want)
		}
	})
}

func TestCompare(t *testing.T) {
	base := func() *inventory.Document { return inventory.Demo() }
	for _, tc := range []struct {
		name        string
		change      func(d *inventory.Document)
		kind        policy.ChangeKind
		significant bool
	}{
		{"purpose needing consent", func(d *inventory.Document) { addConsentPurpose(d) }, policy.ChangePurposeAdded, true},
		{"purpose without consent", func(d *inventory.Document) {
			for i, a := range d.Activities {
				if !slices.Contains(a.Purposes, "child-safety") {
					d.Activities[i].Purposes = append(d.Activities[i].Purposes, "child-safety")
					return
				}
			}
		}, policy.ChangePurposeAdded, false},
		{"purpose removed", func(d *inventory.Document) {
			d.Activities[0].Purposes = d.Activities[0].Purposes[1:]
		}, policy.ChangePurposeRemoved, false},
		{"recipient outside Quebec", func(d *inventory.Document) {
			d.Recipients = append(d.Recipients, inventory.Recipient{Key: "cloud", Name: "Cloud Inc.", Role: inventory.RoleProcessor, Location: "US", Contract: true, PIA: true})
		}, policy.ChangeRecipientAdded, true},
		{"recipient in Quebec", func(d *inventory.Document) {
			d.Recipients = append(d.Recipients, inventory.Recipient{Key: "local", Name: "Local inc.", Role: inventory.RoleProcessor, Location: "CA-QC", Contract: true})
		}, policy.ChangeRecipientAdded, false},
		{"right reduced", func(d *inventory.Document) { d.Policy.RequestDelayDays += 10 }, policy.ChangeDelayIncreased, true},
		{"right improved", func(d *inventory.Document) { d.Policy.RequestDelayDays -= 10 }, policy.ChangeDelayDecreased, false},
		{"longer retention", func(d *inventory.Document) { d.RetentionRules[0].Period = "P99Y" }, policy.ChangeRetentionLonger, true},
		{"shorter retention", func(d *inventory.Document) { d.RetentionRules[0].Period = "P1D" }, policy.ChangeRetentionShorter, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := base()
			tc.change(d)
			changes := policy.Compare(base(), d)
			if len(changes) != 1 {
				t.Fatalf("changes: got %+v, want one", changes)
			}
			c := changes[0]
			if c.Kind != tc.kind || c.Significant != tc.significant {
				t.Errorf("change: got %s significant=%v, want %s significant=%v", c.Kind, c.Significant, tc.kind, tc.significant)
			}
			if c.Text.FR == "" || c.Text.EN == "" || strings.ContainsAny(c.Text.FR, "'") || strings.Contains(c.Text.FR, " :") || strings.Contains(c.Text.FR, "« ") {
				t.Errorf("text: got %q / %q, want both languages with French typography", c.Text.FR, c.Text.EN)
			}
			if policy.Significant(changes) != tc.significant {
				t.Errorf("Significant: got %v, want %v", !tc.significant, tc.significant)
			}
		})
	}
	if got := policy.Compare(nil, base()); got != nil {
		t.Errorf("no baseline: got %v, want no changes", got)
	}
	if got := policy.Compare(base(), base()); got != nil {
		t.Errorf("same inventory: got %v, want no changes", got)
	}
}

// TestConcurrentDraftsGetDistinctNumbers proves the draft numbering is
// serialized per organization.
func TestConcurrentDraftsGetDistinctNumbers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		const n = 8
		var wg sync.WaitGroup
		numbers := make([]int, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				v, err := f.svc.CreateDraft(ctx, f.actor, f.org)
				numbers[i], errs[i] = v.Number, err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(numbers)
		for i, got := range numbers {
			if got != i+1 {
				t.Fatalf("numbers: got %v, want 1 to %d", numbers, n)
			}
		}
	})
}

// TestRenewalPurposes checks which consents a significant change calls
// into question: those of the purposes it touches, and only those that
// rest on consent.
func TestRenewalPurposes(t *testing.T) {
	consentPurposes := func(d *inventory.Document, act inventory.Activity) []string {
		var out []string
		for _, p := range d.Purposes {
			if slices.Contains(act.Purposes, p.Key) && p.Consent != inventory.ConsentNotRequired {
				out = append(out, p.Key)
			}
		}
		return out
	}
	d := inventory.Demo()
	addConsentPurpose(d)
	if got := policy.RenewalPurposes(d, policy.Compare(inventory.Demo(), d)); !slices.Equal(got, []string{"newsletter"}) {
		t.Errorf("new purpose: got %v, want [newsletter]", got)
	}

	d = inventory.Demo()
	d.Recipients = append(d.Recipients, inventory.Recipient{Key: "cloud", Name: "Cloud Inc.", Role: inventory.RoleProcessor, Location: "US", Contract: true, PIA: true})
	d.Activities[0].Recipients = append(d.Activities[0].Recipients, "cloud")
	want := consentPurposes(d, d.Activities[0])
	if got := policy.RenewalPurposes(d, policy.Compare(inventory.Demo(), d)); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("recipient outside Quebec: got %v, want %v", got, want)
	}

	d = inventory.Demo()
	rule := slices.IndexFunc(d.RetentionRules, func(r inventory.RetentionRule) bool { return r.Key == "relationship-end" })
	d.RetentionRules[rule].Period = "P99Y"
	want = nil
	for _, a := range d.Activities {
		if a.Retention == "relationship-end" {
			for _, p := range consentPurposes(d, a) {
				if !slices.Contains(want, p) {
					want = append(want, p)
				}
			}
		}
	}
	got := policy.RenewalPurposes(d, policy.Compare(inventory.Demo(), d))
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("longer retention: got %v, want %v", got, want)
	}

	d = inventory.Demo()
	d.RetentionRules[0].Period = "P1D"
	d.Policy.RequestDelayDays += 10
	if got := policy.RenewalPurposes(d, policy.Compare(inventory.Demo(), d)); len(got) != 0 {
		t.Errorf("shorter retention and a longer delay: got %v, want none", got)
	}
}

// TestPublishComparesWithWhatIsPublished publishes an old draft after a
// newer version: its changes are those against the newer one, not those
// of the day it was drafted; and a significant version cannot be passed
// off as editorial.
func TestPublishComparesWithWhatIsPublished(t *testing.T) {
	f := newFixture(t, storetest.Open(t, ""))
	v1, err := f.svc.CreateDraft(ctx, f.actor, f.org)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Publish(ctx, f.actor, f.po, v1.Number, policy.Publication{}); err != nil {
		t.Fatal(err)
	}
	old, err := f.svc.CreateDraft(ctx, f.actor, f.org)
	if err != nil || old.Significant {
		t.Fatalf("unchanged draft: %+v, %v", old, err)
	}
	doc, _, _ := f.inv.Document(ctx, f.actor, f.org)
	addConsentPurpose(doc)
	if _, err := f.inv.Replace(ctx, f.actor, f.org, doc); err != nil {
		t.Fatal(err)
	}
	v3, err := f.svc.CreateDraft(ctx, f.actor, f.org)
	if err != nil || !v3.Significant {
		t.Fatalf("significant draft: %+v, %v", v3, err)
	}
	_, err = f.svc.Publish(ctx, f.actor, f.po, v3.Number, policy.Publication{Editorial: true, Reason: "Rien de grave"})
	wantCode(t, err, privaq.EValidation, "editorial")
	at := f.clock.Now().AddDate(0, 0, 31)
	if _, err := f.svc.Publish(ctx, f.actor, f.po, v3.Number, policy.Publication{EffectiveAt: at}); err != nil {
		t.Fatal(err)
	}
	v2, err := f.svc.Publish(ctx, f.actor, f.po, old.Number, policy.Publication{EffectiveAt: at.AddDate(0, 0, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Changes) != 1 || v2.Changes[0].Kind != policy.ChangePurposeRemoved {
		t.Errorf("the old draft's changes at publication: %+v, want the purpose v3 added, removed", v2.Changes)
	}
	stored, err := f.svc.Version(ctx, f.actor, f.org, old.Number)
	if err != nil || len(stored.Changes) != 1 {
		t.Errorf("stored changes: %+v, %v", stored.Changes, err)
	}
}
