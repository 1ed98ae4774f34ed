package store_test

import (
	"fmt"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/org"
	"privaq/internal/store"
)

// TestNodeCaches checks the lookups every API request makes: a change
// made through this node is seen at once; one made by another node (here,
// straight in the database) within store.PeerDelay.
func TestNodeCaches(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		clock := privaq.NewManualClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		e.db.SetCacheClock(clock.Now)
		o := newOrg(t, e.db, "cache")
		now := clock.Now()
		sys := audit.Entry{Kind: privaq.ActorSystem, Action: "test"}
		newToken := func(secret string) *org.Token {
			t.Helper()
			tok := &org.Token{OrgID: o.ID, Name: secret, Role: privaq.RoleStaff, Prefix: "pq_" + secret, CreatedAt: now}
			if err := e.db.CreateToken(ctx, tok, org.HashSecret(secret), sys); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		revoked := func(secret string) bool {
			t.Helper()
			got, err := e.db.TokenByHash(ctx, org.HashSecret(secret))
			if err != nil {
				t.Fatal(err)
			}
			return got.RevokedAt != nil
		}

		// Revoked by another node: seen within PeerDelay.
		a := newToken("pq_a")
		if revoked("pq_a") {
			t.Fatal("new token revoked")
		}
		if _, err := e.raw.Exec(fmt.Sprintf(`UPDATE tokens SET revoked_at = 1 WHERE id = %d`, a.ID)); err != nil {
			t.Fatal(err)
		}
		clock.Add(store.PeerDelay - time.Millisecond)
		if revoked("pq_a") {
			t.Error("the cached copy was not used within PeerDelay")
		}
		clock.Add(time.Millisecond)
		if !revoked("pq_a") {
			t.Error("revocation by another node not seen after PeerDelay")
		}

		// Revoked through this node: seen at once.
		b := newToken("pq_b")
		if revoked("pq_b") {
			t.Fatal("new token revoked")
		}
		if err := e.db.RevokeToken(ctx, o.ID, b.ID, now, sys); err != nil {
			t.Fatal(err)
		}
		if !revoked("pq_b") {
			t.Error("revocation through this node not seen at once")
		}

		// The revisions consents are validated against, and the
		// organization's profile, follow inventory changes.
		inv, pub, err := e.db.Revisions(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.UpdateInventory(ctx, o.ID, sys, func(d *inventory.Document) error {
			d.Org.Name = "Renamed"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		inv2, pub2, err := e.db.Revisions(ctx, o.ID)
		if err != nil || inv2 != inv+1 || pub2 != pub {
			t.Errorf("after a local change: revisions %d/%d, %v; want %d/%d", inv2, pub2, err, inv+1, pub)
		}
		if got, err := e.db.OrgBySlug(ctx, "cache"); err != nil || got.Name != "Renamed" {
			t.Errorf("after a local change: %+v, %v", got, err)
		}
		if _, err := e.raw.Exec(fmt.Sprintf(`UPDATE orgs SET inventory_rev = inventory_rev + 1 WHERE id = %d`, o.ID)); err != nil {
			t.Fatal(err)
		}
		clock.Add(store.PeerDelay)
		if inv3, _, err := e.db.Revisions(ctx, o.ID); err != nil || inv3 != inv+2 {
			t.Errorf("after another node's change and PeerDelay: revision %d, %v; want %d", inv3, err, inv+2)
		}
	})
}
