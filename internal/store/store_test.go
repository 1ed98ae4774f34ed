package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

// engine is a store plus a raw connection to the same database, to look
// under the store (ciphertexts, triggers) the way an attacker with the
// database file would.
type engine struct {
	name string
	db   *store.DB
	raw  *sql.DB
	file string // SQLite only
}

// openEngine opens one engine's store and a raw connection beside it; the
// PostgreSQL one skips (or fails under REQUIRE_POSTGRES=1) without a server.
func openEngine(t *testing.T, name string) engine {
	t.Helper()
	if name == "postgres" {
		pgURL := storetest.PostgresURL(t)
		raw, err := sql.Open("pgx", pgURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return engine{name, storetest.Open(t, pgURL), raw, ""}
	}
	dir := t.TempDir()
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	file := filepath.Join(dir, "privaq.db")
	raw, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return engine{name, db, raw, file}
}

func each(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { fn(t, openEngine(t, name)) })
	}
}

// consentService starts a ledger writer on db, until the test ends, and
// returns the service that records consents and answers through it.
func consentService(t *testing.T, db *store.DB, clock privaq.Clock) *consent.Service {
	t.Helper()
	w := consent.NewWriter(db, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	wctx, stop := context.WithCancel(ctx)
	go w.Run(wctx)
	t.Cleanup(stop)
	return &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: clock}
}

func newOrg(t *testing.T, db *store.DB, slug string) org.Org {
	t.Helper()
	doc := org.NewDocument("Org "+slug, inventory.RegimePrivate, "fr")
	o, err := db.CreateOrg(ctx, slug, doc, privaq.SystemClock{}.Now(), audit.Entry{Kind: privaq.ActorSystem, Action: "org.create", Target: slug})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOrgsUniqueAndFound(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "alpha")
		got, err := e.db.OrgBySlug(ctx, "alpha")
		if err != nil || got.ID != o.ID || got.Name != "Org alpha" {
			t.Fatalf("got %+v, %v; want org %d", got, err, o.ID)
		}
		_, err = e.db.CreateOrg(ctx, "alpha", org.NewDocument("x", inventory.RegimePrivate, "fr"), time.Now(), audit.Entry{Kind: privaq.ActorSystem, Action: "org.create"})
		if !privaq.IsCode(err, privaq.EConflict) {
			t.Errorf("duplicate slug: got %v, want conflict", err)
		}
		if _, err := e.db.OrgBySlug(ctx, "nope"); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("unknown slug: got %v, want not_found", err)
		}
	})
}

func TestInventoryConcurrentWritersAllLand(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "conc")
		const n = 12
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.db.UpdateInventory(ctx, o.ID, audit.Entry{Kind: privaq.ActorSystem, Action: "inventory.create"}, func(d *inventory.Document) error {
					d.Purposes = append(d.Purposes, inventory.Purpose{Key: fmt.Sprintf("p%02d", i), Name: inventory.Text{FR: "Fin"}, Consent: inventory.ConsentImplied})
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		doc, rev, err := e.db.Inventory(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Purposes) != n || rev != n {
			t.Errorf("got %d purposes at revision %d, want %d and %d: a writer worked on a stale copy", len(doc.Purposes), rev, n, n)
		}
	})
}

func TestInventoryFailedUpdateWritesNothing(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "atomic")
		_, before, _ := e.db.Inventory(ctx, o.ID)
		_, err := e.db.UpdateInventory(ctx, o.ID, audit.Entry{Kind: privaq.ActorSystem, Action: "inventory.update"}, func(d *inventory.Document) error {
			d.Purposes = append(d.Purposes, inventory.Purpose{Key: "x"})
			return privaq.FieldError("purposes[0].name.fr", "required")
		})
		if !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("got %v, want the validation error back", err)
		}
		doc, after, _ := e.db.Inventory(ctx, o.ID)
		if len(doc.Purposes) != 0 || after != before {
			t.Errorf("got %d purposes, revision %d→%d; want nothing written", len(doc.Purposes), before, after)
		}
	})
}

func TestPersonalInformationIsEncryptedAtRest(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "crypt")
		const email, officer = "marie.tremblay@example.org", "rprp.secret@example.org"
		u := &org.User{Email: email, Name: "Marie Tremblay", PasswordHash: "x", CreatedAt: time.Now()}
		if err := e.db.CreateUser(ctx, u, audit.Entry{Kind: privaq.ActorSystem, Action: "user.create"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.UpdateInventory(ctx, o.ID, audit.Entry{Kind: privaq.ActorSystem, Action: "inventory.update"}, func(d *inventory.Document) error {
			d.Officer = inventory.Officer{Name: "Jeanne Roy", Email: officer}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// The store reads its own data back...
		got, err := e.db.UserByEmail(ctx, "  MARIE.Tremblay@example.org ")
		if err != nil || got.Email != email || got.Name != "Marie Tremblay" {
			t.Fatalf("UserByEmail: got %+v, %v", got, err)
		}
		doc, _, err := e.db.Inventory(ctx, o.ID)
		if err != nil || doc.Officer.Email != officer {
			t.Fatalf("officer: got %+v, %v", doc.Officer, err)
		}
		// ...but the database holds no clear text of it.
		for _, q := range []string{`SELECT email_enc FROM users`, `SELECT name_enc FROM users`, `SELECT officer_enc FROM orgs WHERE officer_enc IS NOT NULL`} {
			var b []byte
			if err := e.raw.QueryRow(q).Scan(&b); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("example.org")) || bytes.Contains(b, []byte("Tremblay")) {
				t.Errorf("%s holds clear text", q)
			}
		}
		if e.file != "" {
			for _, f := range []string{e.file, e.file + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				for _, s := range []string{email, officer, "Tremblay"} {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("%s contains %q in clear", filepath.Base(f), s)
					}
				}
			}
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		o := newOrg(t, e.db, "audit")
		if err := e.db.AppendAudit(ctx, audit.Entry{OrgID: o.ID, Kind: privaq.ActorSystem, Action: "test.action", Target: "x", Detail: map[string]any{"n": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.raw.Exec(`UPDATE audit_log SET action = 'forged'`); err == nil {
			t.Error("UPDATE of audit_log succeeded; want the database to refuse it")
		}
		if _, err := e.raw.Exec(`DELETE FROM audit_log`); err == nil {
			t.Error("DELETE from audit_log succeeded; want the database to refuse it")
		}
		es, err := e.db.ListAudit(ctx, o.ID, audit.Filter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 || es[0].Action != "test.action" || es[1].Action != "org.create" {
			t.Fatalf("got %+v, want test.action then org.create", es)
		}
	})
}

func TestTokensAndSessions(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		a, b := newOrg(t, e.db, "ta"), newOrg(t, e.db, "tb")
		now := privaq.SystemClock{}.Now()
		tok := &org.Token{OrgID: a.ID, Name: "ci", Role: privaq.RoleStaff, Prefix: "pq_abcdef", CreatedAt: now}
		if err := e.db.CreateToken(ctx, tok, org.HashSecret("pq_secret"), audit.Entry{Kind: privaq.ActorSystem, Action: "token.create"}); err != nil {
			t.Fatal(err)
		}
		got, err := e.db.TokenByHash(ctx, org.HashSecret("pq_secret"))
		if err != nil || got.ID != tok.ID || got.OrgID != a.ID || got.CreatedAt != now {
			t.Fatalf("got %+v, %v; want token %d of org %d created %v", got, err, tok.ID, a.ID, now)
		}
		// Another organization cannot revoke it: the query is scoped.
		if err := e.db.RevokeToken(ctx, b.ID, tok.ID, now, audit.Entry{Kind: privaq.ActorSystem, Action: "token.revoke"}); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("revoke from other org: got %v, want not_found", err)
		}
		if err := e.db.RevokeToken(ctx, a.ID, tok.ID, now, audit.Entry{Kind: privaq.ActorSystem, Action: "token.revoke"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.db.TokenByHash(ctx, org.HashSecret("pq_secret")); got.RevokedAt == nil {
			t.Error("token not revoked")
		}
		u := &org.User{Email: "s@example.org", Name: "S", PasswordHash: "x", CreatedAt: now}
		if err := e.db.CreateUser(ctx, u, audit.Entry{Kind: privaq.ActorSystem, Action: "user.create"}); err != nil {
			t.Fatal(err)
		}
		s := org.Session{IDHash: org.HashSecret("sess"), UserID: u.ID, OrgID: a.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := e.db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		s.OrgID, s.MFAPending = b.ID, true
		if err := e.db.UpdateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		gs, err := e.db.SessionByHash(ctx, s.IDHash)
		if err != nil || gs.OrgID != b.ID || !gs.MFAPending || gs.ExpiresAt != s.ExpiresAt {
			t.Fatalf("got %+v, %v", gs, err)
		}
		if err := e.db.DeleteSession(ctx, s.IDHash); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.SessionByHash(ctx, s.IDHash); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("deleted session: got %v, want not_found", err)
		}
	})
}

func TestLoginFailuresCountedPerKey(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		now := privaq.SystemClock{}.Now()
		for range 3 {
			if err := e.db.RecordAttempt(ctx, "email:a@example.org", now); err != nil {
				t.Fatal(err)
			}
		}
		n, err := e.db.CountAttempts(ctx, "email:a@example.org", now.Add(-time.Minute))
		if err != nil || n != 3 {
			t.Errorf("got %d, %v; want 3", n, err)
		}
		if n, _ := e.db.CountAttempts(ctx, "email:b@example.org", now.Add(-time.Minute)); n != 0 {
			t.Errorf("other key: got %d, want 0", n)
		}
		if n, _ := e.db.CountAttempts(ctx, "email:a@example.org", now.Add(time.Second)); n != 0 {
			t.Errorf("outside the window: got %d, want 0", n)
		}
	})
}

// TestSchemasMatch compares the two migration trees through the databases
// they produce: same tables, same columns, in the same order, but for the
// tables only one engine has.
func TestSchemasMatch(t *testing.T) {
	// SQLite derives the decision index from the ledger (stateindex.go).
	postgresOnly := map[string]bool{"consent_state": true}
	es := []engine{openEngine(t, "sqlite"), openEngine(t, "postgres")}
	schema := map[string]string{}
	for _, e := range es {
		var q string
		if e.name == "sqlite" {
			q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
		} else {
			q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
		}
		rows, err := e.raw.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			var tbl, col string
			if err := rows.Scan(&tbl, &col); err != nil {
				t.Fatal(err)
			}
			if !postgresOnly[tbl] {
				lines = append(lines, tbl+"."+col)
			}
		}
		rows.Close()
		sort.Strings(lines)
		schema[e.name] = strings.Join(lines, "\n")
	}
	if schema["sqlite"] != schema["postgres"] {
		t.Errorf("schemas differ:\nsqlite:\n%s\n\npostgres:\n%s", schema["sqlite"], schema["postgres"])
	}
	if err := es[0].db.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestMigrateTwiceIsHarmless(t *testing.T) {
	each(t, func(t *testing.T, e engine) {
		if err := e.db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if err := e.db.Ready(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWrongMasterKeyRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err := os.Stat(filepath.Join(dir, "privaq.db")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("database file mode: got %v, %v; want 0600", st.Mode().Perm(), err)
	}
	_, err = store.Open(ctx, "", dir, keys.Random())
	if err == nil || !strings.Contains(err.Error(), "PRIVAQ_MASTER_KEY") {
		t.Errorf("got %v, want start-up refused with an error naming PRIVAQ_MASTER_KEY", err)
	}
}
