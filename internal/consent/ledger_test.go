package consent_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/org"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

var ctx = context.Background()

type ledger struct {
	db    *store.DB
	raw   *sql.DB // the same database, as an attacker with access to it
	pg    bool
	svc   *consent.Service
	org   privaq.OrgID
	actor privaq.Actor
	clock *privaq.ManualClock
}

// open starts a ledger on a fresh database of engine e, with the demo
// inventory and a running writer.
func open(t *testing.T, e storetest.Engine) *ledger {
	t.Helper()
	dir, url := t.TempDir(), e.URL(t)
	db, err := store.Open(ctx, url, dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l := &ledger{db: db, pg: url != "", clock: privaq.NewManualClock(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))}
	if l.pg {
		l.raw, err = sql.Open("pgx", url)
	} else {
		l.raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "privaq.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.raw.Close() })
	orgs := &org.Service{Store: db, Clock: l.clock}
	o, err := orgs.CreateOrg(ctx, privaq.System(0), "alpha", "Alpha", inventory.RegimePrivate, "fr")
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Service{Store: db}
	if _, err := inv.Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		t.Fatal(err)
	}
	w := consent.NewWriter(db, l.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	wctx, stop := context.WithCancel(ctx)
	go w.Run(wctx)
	t.Cleanup(stop)
	l.org = o.ID
	l.actor = privaq.Actor{Kind: privaq.ActorToken, TokenID: 1, OrgID: o.ID, Role: privaq.RoleIntegration}
	l.svc = &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: l.clock}
	return l
}

func each(t *testing.T, fn func(t *testing.T, l *ledger)) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) { fn(t, open(t, e)) })
	}
}

func granted(subject, purpose string) consent.Input {
	return consent.Input{Subject: subject, Purpose: purpose, Decision: consent.Granted, Mode: consent.Express,
		Channel: "web", GivenBy: consent.BySubject, Evidence: json.RawMessage(`{"form":"signup","ip":"203.0.113.0"}`)}
}

func (l *ledger) record(t *testing.T, in ...consent.Input) []consent.Result {
	t.Helper()
	res, err := l.svc.Record(ctx, l.actor, l.org, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (l *ledger) key(t *testing.T) ed25519.PublicKey {
	t.Helper()
	ks, err := l.svc.PublicKeys(ctx, l.org)
	if err != nil || len(ks) != 1 {
		t.Fatalf("public keys: %v, %v", ks, err)
	}
	return ks[0].Key
}

func (l *ledger) verify(t *testing.T) consent.Report {
	t.Helper()
	rep, err := consent.Verify(ctx, l.db, l.org)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestConcurrentWritesChainAndReceipts records from many goroutines at
// once: the records share batches (group commit), form one chain, and
// every receipt checks offline.
func TestConcurrentWritesChainAndReceipts(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		const writers, per = 16, 10
		var mu sync.Mutex
		var all []consent.Result
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range per {
					res, err := l.svc.Record(ctx, l.actor, l.org, []consent.Input{granted(fmt.Sprintf("s%d-%d", w, i), "newsletter")})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					all = append(all, res...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		rep := l.verify(t)
		if !rep.OK || rep.Records != writers*per {
			t.Fatalf("verify: %+v", rep)
		}
		if rep.Batches >= writers*per {
			t.Logf("no two requests shared a commit (%d batches): group commit did not batch under this load", rep.Batches)
		}
		pub := l.key(t)
		seen := map[int64]bool{}
		for _, r := range all {
			if seen[r.Seq] {
				t.Errorf("seq %d given twice", r.Seq)
			}
			seen[r.Seq] = true
			if err := consent.VerifyReceipt(&r.Receipt, pub); err != nil {
				t.Errorf("receipt of %d: %v", r.Seq, err)
			}
		}
	})
}

// TestReceiptTampering alters a receipt in each of its parts: each check
// names what fails.
func TestReceiptTampering(t *testing.T) {
	l := open(t, storetest.Engines[0])
	res := l.record(t, granted("a", "newsletter"), granted("b", "newsletter"), granted("c", "newsletter"))
	pub := l.key(t)
	r := res[1].Receipt
	cases := []struct {
		name string
		edit func(r *consent.Receipt)
		want error
	}{
		{"record", func(r *consent.Receipt) { r.Canonical = strings.Replace(r.Canonical, `"granted"`, `"refused"`, 1) }, consent.ErrReceiptHash},
		{"proof", func(r *consent.Receipt) { r.Proof[0] = strings.Repeat("0", 64) }, consent.ErrReceiptProof},
		{"index", func(r *consent.Receipt) { r.Index = 0 }, consent.ErrReceiptForm},
		{"head", func(r *consent.Receipt) { r.Head.SignedAt = r.Head.SignedAt.Add(time.Second) }, consent.ErrReceiptSignature},
		{"garbage", func(r *consent.Receipt) { r.PrevHash = "zz" }, consent.ErrReceiptForm},
	}
	for _, tc := range cases {
		c := r
		c.Proof = append([]string(nil), r.Proof...)
		tc.edit(&c)
		if err := consent.VerifyReceipt(&c, pub); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if err := consent.VerifyReceipt(&r, other); !errors.Is(err, consent.ErrReceiptSignature) {
		t.Errorf("another key: got %v", err)
	}
}

// tamper runs SQL on the database behind the store's back, after turning
// off the append-only triggers as an attacker with access could.
func (l *ledger) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	pre := []string{`DROP TRIGGER IF EXISTS consent_records_no_update`, `DROP TRIGGER IF EXISTS consent_records_no_delete`}
	if l.pg {
		pre = []string{`ALTER TABLE consent_records DISABLE TRIGGER consent_records_no_change`}
	}
	for _, s := range append(pre, stmts...) {
		if _, err := l.raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestTamperingIsNamed alters the stored ledger directly in several ways;
// verification names the first bad record each time.
func TestTamperingIsNamed(t *testing.T) {
	cases := []struct {
		name    string
		sql     func(org privaq.OrgID) []string
		wantSeq int64
		want    string
	}{
		{"one byte of a record", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`UPDATE consent_records SET purpose = 'newsletteR' WHERE org_id = %d AND seq = 4`, o)}
		}, 4, "altered"},
		{"sealed subject", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`UPDATE consent_records SET subject_enc = subject_idx WHERE org_id = %d AND seq = 5`, o)}
		}, 5, "altered"},
		{"a record removed", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`DELETE FROM consent_records WHERE org_id = %d AND seq = 3`, o)}
		}, 3, "removed"},
		{"the last record removed", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`DELETE FROM consent_records WHERE org_id = %d AND seq = 6`, o)}
		}, 6, "removed"},
		{"the tip moved back", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`UPDATE ledger_tips SET last_seq = 3, last_batch = 1,
				last_hash = (SELECT hash FROM consent_records WHERE org_id = %d AND seq = 3) WHERE org_id = %d`, o, o)}
		}, 4, "tip was moved back"},
		{"the last batch removed and the tip moved back", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`DELETE FROM consent_records WHERE org_id = %d AND seq > 3`, o),
				fmt.Sprintf(`UPDATE ledger_tips SET last_seq = 3, last_batch = 1,
				last_hash = (SELECT hash FROM consent_records WHERE org_id = %d AND seq = 3) WHERE org_id = %d`, o, o)}
		}, 4, "tip was moved back"},
		{"a record added past the tip", func(o privaq.OrgID) []string {
			return []string{fmt.Sprintf(`INSERT INTO consent_records SELECT org_id, 7, id || '-copy', batch, subject_idx, subject_enc,
				subject_category, purpose, decision, mode, channel, given_by, representative_enc, policy_version, evidence_enc,
				expires_at, recorded_at, hash FROM consent_records WHERE org_id = %d AND seq = 6`, o)}
		}, 7, "past the chain's tip"},
		{"two records swapped", func(o privaq.OrgID) []string {
			return []string{
				fmt.Sprintf(`UPDATE consent_records SET seq = -2 WHERE org_id = %d AND seq = 2`, o),
				fmt.Sprintf(`UPDATE consent_records SET seq = 2 WHERE org_id = %d AND seq = 5`, o),
				fmt.Sprintf(`UPDATE consent_records SET seq = 5 WHERE org_id = %d AND seq = -2`, o),
			}
		}, 2, "altered"},
	}
	// Verify reads and hashes chunks of records in parallel: with chunks
	// of two records, the tampered records fall at every place in a chunk.
	for _, e := range storetest.Engines {
		for _, tc := range cases {
			for _, size := range []int{10000, 2} {
				t.Run(fmt.Sprintf("%s/%s/chunks of %d", e.Name, tc.name, size), func(t *testing.T) {
					consent.SetVerifyChunk(t, size)
					l := open(t, e)
					// Two batches of three, so batch heads are checked too.
					l.record(t, granted("a", "newsletter"), granted("b", "newsletter"), granted("c", "newsletter"))
					l.record(t, granted("d", "newsletter"), granted("e", "newsletter"), granted("f", "newsletter"))
					if rep := l.verify(t); !rep.OK || rep.Records != 6 {
						t.Fatalf("before: %+v", rep)
					}
					l.tamper(t, tc.sql(l.org)...)
					rep := l.verify(t)
					if rep.OK || rep.FirstBad == nil || rep.FirstBad.Seq != tc.wantSeq || !strings.Contains(rep.Summary(), tc.want) {
						t.Fatalf("after: %+v / %s, want record %d named (%s)", rep, rep.Summary(), tc.wantSeq, tc.want)
					}
				})
			}
		}
	}
}

// TestAppendOnly checks that the database itself refuses to change or
// remove a record.
func TestAppendOnly(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		l.record(t, granted("a", "newsletter"))
		for _, s := range []string{`UPDATE consent_records SET decision = 'refused'`, `DELETE FROM consent_records`} {
			if _, err := l.raw.Exec(s); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want the append-only refusal", s, err)
			}
		}
	})
}

// TestDecisions follows one person through the states of SPEC §7.
func TestDecisions(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		ask := func(subject, purpose string) consent.Answer {
			t.Helper()
			a, err := l.svc.Decide(ctx, l.actor, l.org, []consent.Pair{{Subject: subject, Purpose: purpose}})
			if err != nil {
				t.Fatal(err)
			}
			return a[0]
		}
		want := func(a consent.Answer, allowed bool, state string) {
			t.Helper()
			if a.Allowed != allowed || a.State != state {
				t.Errorf("got %+v, want allowed=%v state=%s", a, allowed, state)
			}
		}
		want(ask("p1", "newsletter"), false, consent.StateNone)
		l.record(t, granted("p1", "newsletter"))
		want(ask("p1", "newsletter"), true, consent.StateGranted)
		w := granted("p1", "newsletter")
		w.Decision = consent.Withdrawn
		l.record(t, w)
		// The answer after an acknowledged withdrawal is never stale.
		want(ask("p1", "newsletter"), false, consent.StateWithdrawn)
		r := granted("p2", "newsletter")
		r.Decision = consent.Refused
		l.record(t, r)
		want(ask("p2", "newsletter"), false, consent.StateRefused)
		e := granted("p3", "newsletter")
		at := l.clock.Now().Add(time.Hour)
		e.ExpiresAt = &at
		l.record(t, e)
		want(ask("p3", "newsletter"), true, consent.StateGranted)
		l.clock.Add(2 * time.Hour)
		want(ask("p3", "newsletter"), false, consent.StateExpired)
		want(ask("p1", "child-safety"), true, consent.StateNotRequired)
		if _, err := l.svc.Decide(ctx, l.actor, l.org, []consent.Pair{{Subject: "p1", Purpose: "nope"}}); !privaq.IsCode(err, privaq.EValidation) {
			t.Errorf("unknown purpose: got %v", err)
		}
		// Bulk answers come in order, repeated pairs included.
		pairs := []consent.Pair{{"p1", "newsletter"}, {"p2", "newsletter"}, {"zz", "newsletter"}, {"p1", "newsletter"}, {"p3", "newsletter"}}
		got, err := l.svc.Decide(ctx, l.actor, l.org, pairs)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range []string{consent.StateWithdrawn, consent.StateRefused, consent.StateNone, consent.StateWithdrawn, consent.StateExpired} {
			if got[i].State != s {
				t.Errorf("bulk %d: got %s, want %s", i, got[i].State, s)
			}
		}
	})
}

// TestValidationRecordsNothing checks that one bad record in a batch
// keeps the whole batch out.
func TestValidationRecordsNothing(t *testing.T) {
	l := open(t, storetest.Engines[0])
	bad := granted("x", "nope")
	_, err := l.svc.Record(ctx, l.actor, l.org, []consent.Input{granted("a", "newsletter"), bad})
	var pe *privaq.Error
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Field, "records[1].purpose") {
		t.Fatalf("got %v, want an error on records[1].purpose", err)
	}
	if rep := l.verify(t); rep.Records != 0 {
		t.Errorf("%d records written", rep.Records)
	}
}

// TestSubjectsSealed checks that the database holds no subject reference,
// representative name or evidence in clear.
func TestSubjectsSealed(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		in := granted("marie.tremblay@example.org", "newsletter")
		in.GivenBy, in.Representative = consent.ByRepresentative, "Jean Curateur"
		l.record(t, in)
		var n int
		for _, col := range []string{"subject_enc", "representative_enc", "evidence_enc", "subject_idx"} {
			q := fmt.Sprintf(`SELECT COUNT(*) FROM consent_records WHERE %s LIKE '%%tremblay%%' OR %s LIKE '%%Curateur%%' OR %s LIKE '%%signup%%'`, col, col, col)
			if l.pg {
				q = fmt.Sprintf(`SELECT COUNT(*) FROM consent_records WHERE position('tremblay'::bytea in %s) > 0 OR position('Curateur'::bytea in %s) > 0 OR position('signup'::bytea in %s) > 0`, col, col, col)
			}
			if err := l.raw.QueryRow(q).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d rows hold clear text (%v)", col, n, err)
			}
		}
		h, err := l.svc.History(ctx, privaq.Actor{Kind: privaq.ActorUser, UserID: 1, OrgID: l.org, Role: privaq.RoleStaff}, l.org, "marie.tremblay@example.org")
		if err != nil || len(h.Records) != 1 || h.Records[0].Representative != "Jean Curateur" {
			t.Errorf("history: %+v, %v", h, err)
		}
		if _, err := l.svc.History(ctx, l.actor, l.org, "marie.tremblay@example.org"); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("an integration token read a history: %v", err)
		}
	})
}

// TestVerifyWhileWriting checks the chain while records keep arriving:
// what is committed during a check lies past the tip it began with, and
// must not be taken for tampering.
func TestVerifyWhileWriting(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		consent.SetVerifyChunk(t, 7)
		l.record(t, granted("first", "newsletter"))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := l.svc.Record(ctx, l.actor, l.org, []consent.Input{granted(fmt.Sprintf("w%d-%d", w, i), "newsletter")}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		// Check until the writers have gone well past a few chunks.
		for start := time.Now(); time.Since(start) < 10*time.Second; {
			rep, err := consent.Verify(ctx, l.db, l.org)
			if err != nil || !rep.OK {
				t.Errorf("verify during writes: %s, %v", rep.Summary(), err)
				break
			}
			if rep.Records > 100 {
				break
			}
		}
		close(stop)
		wg.Wait()
		rep := l.verify(t)
		if !rep.OK || rep.Records < 2 {
			t.Fatalf("after the writes: %+v", rep)
		}
		t.Logf("%s", rep.Summary())
	})
}

// TestBulkDecisionsAcrossChunks asks more pairs than one query reads
// (500 on SQLite): every answer comes back in its place, for subjects
// asked in several chunks, repeated, or never recorded.
func TestBulkDecisionsAcrossChunks(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		// Every third person refuses after granting: two records for
		// one pair, the later wins (SQLite reads them from the ledger
		// until its index is in memory).
		var in, later []consent.Input
		for i := range 300 {
			r := granted(fmt.Sprintf("s%d", i), "newsletter")
			in = append(in, r)
			if i%3 == 0 {
				r.Decision = consent.Refused
				later = append(later, r)
			}
		}
		l.record(t, in...)
		l.record(t, later...)
		var pairs []consent.Pair
		want := map[int]string{}
		for i := range 1700 {
			s := i % 400 // 300 recorded, 100 never seen; each asked 4 or 5 times
			pairs = append(pairs, consent.Pair{Subject: fmt.Sprintf("s%d", s), Purpose: "newsletter"})
			switch {
			case s >= 300:
				want[i] = consent.StateNone
			case s%3 == 0:
				want[i] = consent.StateRefused
			default:
				want[i] = consent.StateGranted
			}
		}
		got, err := l.svc.DecideBulk(ctx, l.actor, l.org, pairs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(pairs) {
			t.Fatalf("%d answers for %d pairs", len(got), len(pairs))
		}
		for i, a := range got {
			if a.State != want[i] {
				t.Fatalf("pair %d (%s): got %s, want %s", i, pairs[i].Subject, a.State, want[i])
			}
		}
	})
}

// TestConcurrentSingleDecisions asks single decisions from many goroutines
// at once, so that on PostgreSQL several share one round of reading the
// ledger: each answer must be its own pair's.
func TestConcurrentSingleDecisions(t *testing.T) {
	each(t, func(t *testing.T, l *ledger) {
		var in []consent.Input
		for i := range 200 {
			r := granted(fmt.Sprintf("c%d", i), "newsletter")
			if i%2 == 0 {
				r.Decision = consent.Withdrawn
			}
			in = append(in, r)
		}
		ids := map[string]string{}
		for i, res := range l.record(t, in...) {
			ids[in[i].Subject] = res.ID
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 64 {
			wg.Go(func() {
				for k := range 20 {
					s := (g*20 + k) % 250 // 200 recorded, 50 never seen
					subject := fmt.Sprintf("c%d", s)
					want := consent.StateGranted
					switch {
					case s >= 200:
						want = consent.StateNone
					case s%2 == 0:
						want = consent.StateWithdrawn
					}
					got, err := l.svc.Decide(ctx, l.actor, l.org, []consent.Pair{{Subject: subject, Purpose: "newsletter"}})
					if err != nil {
						errs <- err
						return
					}
					if got[0].State != want || (want != consent.StateNone && (got[0].Record == nil || *got[0].Record != ids[subject])) {
						errs <- fmt.Errorf("%s: got %+v, want %s with record %s", subject, got[0], want, ids[subject])
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
