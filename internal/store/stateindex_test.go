package store_test

import (
	"fmt"
	"sync"
	"testing"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// TestDecisionsExactWhileIndexLoads withdraws consents one by one while
// the first decisions start loading the index into memory (SQLite): each
// withdrawal must be answered as soon as it is acknowledged, before,
// during and after the load, and once loaded every pair must be the one
// in the table.
func TestDecisionsExactWhileIndexLoads(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "index")
		sys := privaq.System(o.ID)
		if _, err := (&inventory.Service{Store: e.db}).Replace(ctx, sys, o.ID, inventory.Demo()); err != nil {
			t.Fatal(err)
		}
		svc := consentService(t, e.db, privaq.SystemClock{})
		actor := privaq.Actor{Kind: privaq.ActorToken, TokenID: 1, OrgID: o.ID, Role: privaq.RoleIntegration}
		input := func(i int, d consent.Decision) consent.Input { return newsletter(fmt.Sprintf("p%d", i), d) }
		const people, withdrawn = 20000, 200
		for start := 0; start < people; start += 10000 {
			var in []consent.Input
			for i := start; i < start+10000; i++ {
				in = append(in, input(i, consent.Granted))
			}
			if _, err := svc.Record(ctx, actor, o.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		decide := func(i int) consent.Answer {
			t.Helper()
			a, err := svc.Decide(ctx, actor, o.ID, []consent.Pair{{Subject: fmt.Sprintf("p%d", i), Purpose: "newsletter"}})
			if err != nil {
				t.Fatal(err)
			}
			return a[0]
		}
		for i := range withdrawn {
			if a := decide(i); a.State != consent.StateGranted {
				t.Fatalf("p%d before its withdrawal: %s", i, a.State)
			}
			res, err := svc.Record(ctx, actor, o.ID, []consent.Input{input(i, consent.Withdrawn)})
			if err != nil {
				t.Fatal(err)
			}
			if a := decide(i); a.State != consent.StateWithdrawn || a.Record == nil || *a.Record != res[0].ID {
				t.Fatalf("p%d just after its withdrawal was acknowledged: %+v", i, a)
			}
		}
		if !e.db.LoadDecisionIndex(o.ID) {
			t.Fatal("the decision index was not loaded in 10 s")
		}
		var pairs []consent.Pair
		for i := range people + 10 { // 10 people never recorded
			pairs = append(pairs, consent.Pair{Subject: fmt.Sprintf("p%d", i), Purpose: "newsletter"})
		}
		got, err := svc.DecideBulk(ctx, actor, o.ID, pairs)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range got {
			want := consent.StateGranted
			switch {
			case i >= people:
				want = consent.StateNone
			case i < withdrawn:
				want = consent.StateWithdrawn
			}
			if a.State != want {
				t.Fatalf("p%d once loaded: %s, want %s", i, a.State, want)
			}
		}
		// Granted again, from memory now.
		if _, err := svc.Record(ctx, actor, o.ID, []consent.Input{input(0, consent.Granted)}); err != nil {
			t.Fatal(err)
		}
		if a := decide(0); a.State != consent.StateGranted {
			t.Fatalf("p0 granted again: %s", a.State)
		}
	})
}

// TestBulkDecisionsSeeOtherNodes runs two nodes on one PostgreSQL
// database: once the reading node holds its copy of the index in memory,
// a bulk decision must still answer every withdrawal the other node has
// acknowledged (SPEC §7), read from the ledger before answering.
func TestBulkDecisionsSeeOtherNodes(t *testing.T) {
	url := storetest.PostgresURL(t)
	master := keys.Random()
	open := func() *store.DB {
		db, err := store.Open(ctx, url, t.TempDir(), master)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	o := newOrg(t, a, "nodes")
	if _, err := (&inventory.Service{Store: a}).Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	onA, onB := consentService(t, a, privaq.SystemClock{}), consentService(t, b, privaq.SystemClock{})
	actor := privaq.Actor{Kind: privaq.ActorToken, TokenID: 1, OrgID: o.ID, Role: privaq.RoleIntegration}
	input := func(i int, d consent.Decision) consent.Input { return newsletter(fmt.Sprintf("n%d", i), d) }
	var in []consent.Input
	for i := range 1000 {
		in = append(in, input(i, consent.Granted))
	}
	if _, err := onA.Record(ctx, actor, o.ID, in); err != nil {
		t.Fatal(err)
	}
	var pairs []consent.Pair
	for i := range 1000 {
		pairs = append(pairs, consent.Pair{Subject: fmt.Sprintf("n%d", i), Purpose: "newsletter"})
	}
	bulk := func(i int) string {
		t.Helper()
		got, err := onB.DecideBulk(ctx, actor, o.ID, pairs)
		if err != nil {
			t.Fatal(err)
		}
		return got[i].State
	}
	if s := bulk(0); s != consent.StateGranted {
		t.Fatalf("before the load: %s", s)
	}
	if !b.LoadDecisionIndex(o.ID) {
		t.Fatal("the decision index was not loaded in 10 s")
	}
	for i := range 20 {
		if _, err := onA.Record(ctx, actor, o.ID, []consent.Input{input(i*50, consent.Withdrawn)}); err != nil {
			t.Fatal(err)
		}
		if s := bulk(i * 50); s != consent.StateWithdrawn {
			t.Fatalf("n%d withdrawn on the other node: answered %s", i*50, s)
		}
		if s := bulk(i*50 + 1); s != consent.StateGranted {
			t.Fatalf("n%d: answered %s", i*50+1, s)
		}
	}
	// Single decisions on B while A withdraws: many askers at once, so
	// that rounds of reading the ledger are under way when each
	// withdrawal is acknowledged; every question asked after it must
	// see it.
	stopAsking := make(chan struct{})
	var asking sync.WaitGroup
	for g := range 16 {
		asking.Go(func() {
			for {
				select {
				case <-stopAsking:
					return
				default:
				}
				if _, err := onB.Decide(ctx, actor, o.ID, []consent.Pair{{Subject: fmt.Sprintf("n%d", 500+g), Purpose: "newsletter"}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		s := 900 + i
		if _, err := onA.Record(ctx, actor, o.ID, []consent.Input{input(s, consent.Withdrawn)}); err != nil {
			t.Fatal(err)
		}
		got, err := onB.Decide(ctx, actor, o.ID, []consent.Pair{{Subject: fmt.Sprintf("n%d", s), Purpose: "newsletter"}})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].State != consent.StateWithdrawn {
			t.Fatalf("n%d withdrawn on the other node, asked alone after the acknowledgement: answered %s", s, got[0].State)
		}
	}
	close(stopAsking)
	asking.Wait()
}

// newsletter is a subject's express decision for the demo's newsletter.
func newsletter(subject string, d consent.Decision) consent.Input {
	return consent.Input{Subject: subject, Purpose: "newsletter", Decision: d, Mode: consent.Express, Channel: "web", GivenBy: consent.BySubject}
}
