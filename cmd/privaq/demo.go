package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/policy"
	"privaq/internal/rights"
	"privaq/internal/store"
)

// demoSlug is the organization `serve --demo` creates.
const demoSlug = "demo"

type demoAccount struct {
	email, name string
	role        privaq.Role
	admin       bool
}

// demoAccounts are the demo's staff, one per role a person can hold. The
// .test domain is reserved (RFC 2606): mail to it never leaves.
var demoAccounts = []demoAccount{
	{"officer@demo.privaq.test", "Démo Responsable", privaq.RoleOfficer, true},
	{"staff@demo.privaq.test", "Démo Personnel", privaq.RoleStaff, false},
	{"auditor@demo.privaq.test", "Démo Vérification", privaq.RoleAuditor, false},
}

// demoAccess is what a --demo start prints once: fresh passwords, in the
// order of demoAccounts, and a new officer API token.
type demoAccess struct {
	created   bool
	passwords []string
	token     string
}

// setupDemo creates the demo organization with the sample inventory when it
// is absent, then gives its accounts fresh passwords and a new API token,
// so that the sign-in details printed at each start always work.
func setupDemo(ctx context.Context, orgs *org.Service, inv *inventory.Service, policies *policy.Service, consents *consent.Service,
	incidents *incident.Service, requests *rights.Service, db *store.DB) (*demoAccess, error) {
	access := &demoAccess{}
	o, err := db.OrgBySlug(ctx, demoSlug)
	if privaq.IsCode(err, privaq.ENotFound) {
		doc := inventory.Demo()
		lang := "fr"
		if len(doc.Org.Languages) > 1 {
			lang = "en"
		}
		o, err = orgs.CreateOrg(ctx, privaq.System(0), demoSlug, doc.Org.Name, doc.Org.Regime, lang)
		if privaq.IsCode(err, privaq.EConflict) { // another node created it meanwhile
			o, err = db.OrgBySlug(ctx, demoSlug)
		} else {
			access.created = err == nil
		}
	}
	if err != nil {
		return nil, err
	}
	// An organization with an empty inventory is one whose first start
	// stopped between creating it and loading the sample: load it now.
	doc, _, err := inv.Document(ctx, privaq.System(o.ID), o.ID)
	if err != nil {
		return nil, err
	}
	if countAll(doc) == 0 {
		if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
			return nil, fmt.Errorf("load the sample inventory: %w", err)
		}
	}
	if err := publishDemoPolicy(ctx, policies, policy.Org{ID: o.ID, Slug: o.Slug}); err != nil {
		return nil, fmt.Errorf("publish the sample policy: %w", err)
	}
	if err := recordDemoConsents(ctx, consents, db, o.ID); err != nil {
		return nil, fmt.Errorf("record the sample consents: %w", err)
	}
	if err := recordDemoIncident(ctx, incidents, o.ID); err != nil {
		return nil, fmt.Errorf("record the sample incident: %w", err)
	}
	if err := recordDemoRequests(ctx, requests, o.ID); err != nil {
		return nil, fmt.Errorf("record the sample requests: %w", err)
	}
	for _, a := range demoAccounts {
		p, err := refreshDemoAccount(ctx, orgs, db, o.ID, a)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.role, err)
		}
		access.passwords = append(access.passwords, p)
	}
	access.token, _, err = orgs.CreateToken(ctx, privaq.System(o.ID), o.ID, privaq.RoleOfficer, "demo (serve --demo)")
	if err != nil {
		return nil, err
	}
	return access, nil
}

// publishDemoPolicy publishes the sample inventory's policy, in effect at
// once, unless the organization already has a version.
func publishDemoPolicy(ctx context.Context, policies *policy.Service, o policy.Org) error {
	id := o.ID
	actor := privaq.System(id)
	vs, err := policies.Versions(ctx, actor, id)
	if err != nil || len(vs) > 0 {
		return err
	}
	v, err := policies.CreateDraft(ctx, actor, id)
	if err != nil {
		return err
	}
	_, err = policies.Publish(ctx, actor, o, v.Number, policy.Publication{
		Summary: inventory.Text{FR: "Première version publiée.", EN: "First published version."}})
	return err
}

// recordDemoConsents fills an empty ledger with the decisions of a few
// fictional people: a newsletter subscriber who later withdraws, parents
// deciding for a child at the day camps, a visitor's banner choices.
func recordDemoConsents(ctx context.Context, consents *consent.Service, db *store.DB, id privaq.OrgID) error {
	tip, err := db.LedgerTip(ctx, id)
	if err != nil || tip.LastSeq > 0 {
		return err
	}
	ev := func(s string) json.RawMessage { return json.RawMessage(s) }
	in := func(subject, category, purpose string, d consent.Decision, mode consent.Mode, channel string, by consent.GivenBy, repr, evidence string) consent.Input {
		return consent.Input{Subject: subject, SubjectCategory: category, Purpose: purpose, Decision: d, Mode: mode,
			Channel: channel, GivenBy: by, Representative: repr, Evidence: ev(evidence)}
	}
	web := `{"form":"inscription-infolettre","ip":"203.0.113.0","user_agent":"Mozilla/5.0"}`
	batches := [][]consent.Input{
		{in("membre-1001", "", "newsletter", consent.Granted, consent.Express, "web", consent.BySubject, "", web),
			in("membre-1002", "", "newsletter", consent.Granted, consent.Express, "web", consent.BySubject, "", web),
			in("membre-1003", "", "newsletter", consent.Refused, consent.Express, "web", consent.BySubject, "", web)},
		{in("enfant-2001", "children", "day-camps", consent.Granted, consent.Express, "paper", consent.ByParentalAuthority, "Sophie Gagnon",
			`{"form":"fiche-inscription-camp-2026","signed_on":"2026-04-12"}`),
			in("enfant-2002", "children", "day-camps", consent.Granted, consent.Express, "phone", consent.ByParentalAuthority, "Marc Roy",
				`{"call_note":"appel du parent, confirmé par courriel"}`)},
		{in("membre-1001", "", "newsletter", consent.Withdrawn, consent.Express, "email", consent.BySubject, "", `{"message":"demande de désabonnement"}`)},
		{in("visiteur-7f3a", "", "website-analytics", consent.Granted, consent.Express, "banner", consent.BySubject, "", `{"banner_revision":1}`),
			in("visiteur-91bc", "", "website-analytics", consent.Refused, consent.Express, "banner", consent.BySubject, "", `{"banner_revision":1,"gpc":true}`)},
	}
	for _, b := range batches {
		if _, err := consents.Record(ctx, privaq.System(id), id, b); err != nil {
			return err
		}
	}
	return nil
}

// refreshDemoAccount creates or refreshes one demo account and returns its new
// password.
func refreshDemoAccount(ctx context.Context, orgs *org.Service, db *store.DB, id privaq.OrgID, a demoAccount) (string, error) {
	password := org.GeneratePassword()
	actor := privaq.System(id)
	u, err := db.UserByEmail(ctx, a.email)
	switch {
	case err == nil:
		if err := orgs.SetPassword(ctx, actor, u.ID, password); err != nil {
			return "", err
		}
	case !privaq.IsCode(err, privaq.ENotFound):
		return "", err
	case a.admin:
		// AddUser creates members, not administrators: create the account
		// first, and AddUser below only gives it its role.
		hash, err := org.HashPassword(password)
		if err != nil {
			return "", err
		}
		nu := org.User{Email: a.email, Name: a.name, PasswordHash: hash, CreatedAt: orgs.Clock.Now()}
		if err := orgs.MakeAdmin(ctx, &nu); err != nil {
			return "", err
		}
	}
	// For an existing account the password argument is ignored; for a new
	// one it becomes its password.
	if _, _, err := orgs.AddUser(ctx, actor, id, a.email, a.name, a.role, password); err != nil {
		return "", err
	}
	return password, nil
}

func countAll(doc *inventory.Document) int {
	n := 0
	for _, c := range inventory.Collections {
		n += len(c.Keys(doc))
	}
	return n
}

// print writes the sign-in block. It goes to stdout, never to the log.
func (d *demoAccess) print(w io.Writer, base string) {
	state := "already present"
	if d.created {
		state = "created with the sample inventory"
	}
	fmt.Fprintf(w, "\nDemo organization %q %s.\n", demoSlug, state)
	fmt.Fprintf(w, "Sign in at %s/admin/login with:\n", base)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for i, a := range demoAccounts {
		role := string(a.role)
		if a.admin {
			role += ", instance administrator"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.email, d.passwords[i], role)
	}
	tw.Flush()
	fmt.Fprintf(w, "API token (officer): %s\n", d.token)
	fmt.Fprintf(w, "Try:\n  curl -H \"Authorization: Bearer %s\" %s/api/v1/orgs/%s/checks\n", d.token, base, demoSlug)
	fmt.Fprint(w, "Each --demo start sets new passwords and adds a new token; these are shown only now.\n\n")
}
