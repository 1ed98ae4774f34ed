package incident_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

// start is when the tests' clock starts: a Monday morning in Quebec.
var start = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// fixture is the incident service over a real database: organization A
// with the demo inventory and one account per role, organization B with
// its own officer.
type fixture struct {
	db                       *store.DB
	svc                      *incident.Service
	clock                    *privaq.ManualClock
	a, b                     org.Org
	officer, staff, auditor  privaq.Actor
	integration, bOfficer    privaq.Actor
	officerEmail, staffEmail string
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	clock := privaq.NewManualClock(start)
	orgs := &org.Service{Store: db, Clock: clock}
	f := &fixture{db: db, clock: clock, svc: &incident.Service{Store: db, Inventory: db, Clock: clock}}
	var err error
	if f.a, err = orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "en"); err != nil {
		t.Fatal(err)
	}
	if f.b, err = orgs.CreateOrg(ctx, privaq.System(0), "beta", "Beta", inventory.RegimePrivate, "fr"); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{Store: db}
	if _, err := inv.Replace(ctx, privaq.System(f.a.ID), f.a.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	actor := func(o org.Org, role privaq.Role) privaq.Actor {
		email := fmt.Sprintf("%s@%s.test", role, o.Slug)
		u, _, err := orgs.AddUser(ctx, privaq.System(o.ID), o.ID, email, "", role, "correct horse battery staple")
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
	f.officerEmail, f.staffEmail = "officer@alpha.test", "staff@alpha.test"
	f.bOfficer = actor(f.b, privaq.RoleOfficer)
	_, tok, err := orgs.CreateToken(ctx, privaq.System(f.a.ID), f.a.ID, privaq.RoleIntegration, "crm")
	if err != nil {
		t.Fatal(err)
	}
	f.integration = privaq.Actor{Kind: privaq.ActorToken, TokenID: tok.ID, OrgID: f.a.ID, Role: privaq.RoleIntegration}
	return f
}

// each runs fn on both engines.
func each(t *testing.T, fn func(t *testing.T, f *fixture)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newFixture(t, db)) })
}

// declaration is a complete declaration against the demo inventory, with
// accents in every text.
func declaration() incident.Input {
	n, q := 1200, 1100
	return incident.Input{
		Kind: string(incident.KindCommunication), OccurredFrom: "2026-02-26", OccurredTo: "2026-02-27", DiscoveredAt: "2026-03-02T09:30:00-05:00",
		Description:    "Un courriel contenant la liste des élèves du camp d’été a été envoyé par erreur à « tous les parents ».",
		Cause:          "Erreur humaine : mauvaise liste de distribution.",
		DataCategories: []string{"identity", "child-health"},
		PeopleCount:    &n, PeopleInQuebec: &q, PeopleApproximate: true,
		Systems:  []string{"crm"},
		Measures: "Rappel du courriel, demande de suppression aux destinataires, formation du personnel.",
		PersonNotice: incident.PersonNotice{
			Circumstances: inventory.Text{FR: "Un courriel a été envoyé par erreur à d’autres parents.", EN: "An email was sent to other parents by mistake."},
			Measures:      inventory.Text{FR: "Nous avons demandé aux destinataires de supprimer le message.", EN: "We asked the recipients to delete the message."},
			Advice:        inventory.Text{FR: "Méfiez-vous des courriels qui se présentent comme venant de l’école.", EN: "Be wary of emails claiming to come from the school."},
		},
	}
}

// declare declares the standard incident as staff.
func (f *fixture) declare(t testing.TB) incident.Incident {
	t.Helper()
	inc, err := f.svc.Declare(ctx, f.staff, f.a.ID, declaration())
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	return inc
}

// assessSerious records the officer's assessment that the risk is serious.
func (f *fixture) assessSerious(t testing.TB, id incident.ID) incident.Incident {
	t.Helper()
	yes := true
	inc, err := f.svc.Assess(ctx, f.officer, f.a.ID, id, incident.AssessmentInput{Sensitivity: "high", Consequences: "medium", Likelihood: "medium",
		Serious: &yes, Grounds: "Les noms et adresses d’enfants ont été communiqués à des tiers ; risque d’hameçonnage."})
	if err != nil {
		t.Fatalf("assess: %v", err)
	}
	return inc
}

// auditActions lists the actions logged in org since entry id after.
func (f *fixture) auditActions(t *testing.T, o privaq.OrgID) []string {
	t.Helper()
	es, err := f.db.ListAudit(ctx, o, audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action+" "+e.Target+" "+e.Actor)
	}
	return out
}

// fields lists the fields of a validation error.
func fields(err error) string {
	var out []string
	for _, e := range errorList(err) {
		out = append(out, e.Field)
	}
	return strings.Join(out, ",")
}

func errorList(err error) privaq.ValidationErrors {
	if v, ok := err.(privaq.ValidationErrors); ok {
		return v
	}
	if e, ok := err.(*privaq.Error); ok {
		return privaq.ValidationErrors{e}
	}
	return nil
}
