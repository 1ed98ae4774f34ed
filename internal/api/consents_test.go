package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// In the demo inventory of org A: newsletter, website-analytics and
// social-ads need express consent and use no sensitive data;
// family-services and day-camps use sensitive data; child-safety and
// donations need no consent; children are minors under 14.

// consentRec is a valid record of subject for purpose, with fields
// replaced or, when set to nil, removed.
func consentRec(subject, purpose string, fields ...any) map[string]any {
	m := map[string]any{"subject": subject, "purpose": purpose, "decision": "granted", "mode": "express", "channel": "api", "given_by": "subject"}
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == nil {
			delete(m, fields[i].(string))
		} else {
			m[fields[i].(string)] = fields[i+1]
		}
	}
	return m
}

func batchOf(recs ...map[string]any) map[string]any { return map[string]any{"records": recs} }

// record posts one record and returns its result.
func (ta *testAPI) record(t *testing.T, token string, rec map[string]any) consent.Result {
	t.Helper()
	res := ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: token, body: rec})
	res.want(t, http.StatusCreated, "", "")
	var out consent.Result
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("result %s: %v", res.body, err)
	}
	return out
}

// verifyLedger checks A's whole chain and returns the report.
func (ta *testAPI) verifyLedger(t *testing.T) consent.Report {
	t.Helper()
	res := ta.do(t, request{method: "GET", path: ta.orgPath("/ledger/verify"), token: ta.tokens[privaq.RoleAuditor]})
	res.want(t, http.StatusOK, "", "")
	var rep consent.Report
	if err := json.Unmarshal(res.body, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.FirstBad != nil {
		t.Fatalf("ledger verify: got %s, want ok", res.body)
	}
	return rep
}

// decision asks the single decision of a pair.
func (ta *testAPI) decision(t *testing.T, subject, purpose string) consent.Answer {
	t.Helper()
	q := url.Values{"subject": {subject}, "purpose": {purpose}}
	res := ta.do(t, request{method: "GET", path: ta.orgPath("/decisions?" + q.Encode()), token: ta.tokens[privaq.RoleIntegration]})
	res.want(t, http.StatusOK, "", "")
	var a consent.Answer
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// wantAnswer compares a decision with the state, permission and record
// expected (record "" for none).
func wantAnswer(t *testing.T, what string, got consent.Answer, state string, allowed bool, record string) {
	t.Helper()
	gotRecord := ""
	if got.Record != nil {
		gotRecord = *got.Record
	}
	if got.State != state || got.Allowed != allowed || gotRecord != record {
		t.Errorf("%s: got state %q allowed %v record %q, want %q %v %q", what, got.State, got.Allowed, gotRecord, state, allowed, record)
	}
}

// publicKey is A's ledger key of a receipt, read from the store.
func (ta *testAPI) publicKey(t *testing.T, id int) []byte {
	t.Helper()
	keys, err := ta.cons.PublicKeys(context.Background(), ta.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	k := consent.KeyByID(keys, id)
	if k == nil {
		t.Fatalf("ledger key %d: got none among %d keys, want it", id, len(keys))
	}
	return k
}

// withClock is the same stack whose ledger service reads another clock,
// to see decisions at a later time.
func (ta *testAPI) withClock(t *testing.T, c privaq.Clock) *testAPI {
	t.Helper()
	svc := &consent.Service{Store: ta.db, Writer: ta.cons.Writer, Sources: ta.db, Audit: ta.db, Clock: c}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	api := &API{Orgs: ta.orgs, OrgStore: ta.db, Inventory: ta.inv, Policies: ta.pol, Consents: svc, Audit: ta.db, Log: log}
	mux := http.NewServeMux()
	api.Routes(mux)
	later := *ta
	later.srv, later.cons = httptest.NewServer(mux), svc
	t.Cleanup(later.srv.Close)
	return &later
}

func TestConsentReceipts(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		if rep := ta.verifyLedger(t); rep.Records != 0 || rep.Batches != 0 {
			t.Errorf("empty ledger: got %d records in %d batches, want none", rep.Records, rep.Batches)
		}
		evidence := map[string]any{"form": "newsletter-footer", "ip": "203.0.113.0", "user_agent": "Mozilla/5.0"}
		one := ta.record(t, ta.tokens[privaq.RoleStaff], consentRec("alice@example.org", "newsletter", "channel", "web", "evidence", evidence,
			"subject_category", "subscribers", "expires_at", "2026-03-14T00:00:00Z"))
		if one.Seq != 1 || one.ID == "" || one.Hash != one.Receipt.Hash || len(one.Hash) != 64 {
			t.Errorf("result: got seq %d id %q hash %q receipt hash %q, want seq 1, an id and the receipt's hash", one.Seq, one.ID, one.Hash, one.Receipt.Hash)
		}
		pub := ta.publicKey(t, one.Receipt.Head.KeyID)
		if err := consent.VerifyReceipt(&one.Receipt, pub); err != nil {
			t.Errorf("receipt: got %v, want it to verify offline", err)
		}
		var canon map[string]any
		if err := json.Unmarshal([]byte(one.Receipt.Canonical), &canon); err != nil {
			t.Fatalf("canonical %s: %v", one.Receipt.Canonical, err)
		}
		want := map[string]any{"v": 1.0, "org": float64(ta.a.ID), "seq": 1.0, "id": one.ID, "subject": "alice@example.org", "subject_category": "subscribers",
			"purpose": "newsletter", "decision": "granted", "mode": "express", "channel": "web", "given_by": "subject", "representative": "",
			"policy_version": 0.0, "evidence": evidence, "expires_at": "2026-03-14T00:00:00.000000Z", "recorded_at": "2025-03-14T09:26:53.000000Z"}
		sameJSON(t, "canonical record", []byte(one.Receipt.Canonical), want)
		if h := one.Receipt.Head; h.FirstSeq != 1 || h.LastSeq != 1 || h.Batch != 1 || h.Org != int64(ta.a.ID) || one.Receipt.PrevHash != strings.Repeat("0", 64) {
			t.Errorf("head: got %+v, prev %s, want batch 1 of record 1 after the genesis hash", h, one.Receipt.PrevHash)
		}

		// A receipt proves only what it says.
		for _, tc := range []struct {
			name   string
			change func(r *consent.Receipt)
			want   error
		}{
			{"decision changed", func(r *consent.Receipt) {
				r.Canonical = strings.Replace(r.Canonical, `"decision":"granted"`, `"decision":"refused"`, 1)
			}, consent.ErrReceiptHash},
			{"other head", func(r *consent.Receipt) { r.Head.Root = strings.Repeat("ab", 32) }, consent.ErrReceiptProof},
			{"head re-dated", func(r *consent.Receipt) { r.Head.SignedAt = r.Head.SignedAt.Add(time.Second) }, consent.ErrReceiptSignature},
		} {
			r := one.Receipt
			tc.change(&r)
			if err := consent.VerifyReceipt(&r, pub); !errors.Is(err, tc.want) {
				t.Errorf("receipt with %s: got %v, want %v", tc.name, err, tc.want)
			}
		}
		if err := consent.VerifyReceipt(&one.Receipt, ta.publicKey(t, one.Receipt.Head.KeyID)[:31]); err == nil {
			t.Errorf("receipt with a truncated key: got nil, want an error")
		}

		// A batch of three: one commit, consecutive numbers, one signed head.
		res := ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: ta.tokens[privaq.RoleIntegration], body: batchOf(
			consentRec("visitor-1", "website-analytics", "channel", "banner"),
			consentRec("visitor-1", "social-ads", "channel", "banner", "decision", "refused"),
			consentRec("child-7", "day-camps", "channel", "paper", "subject_category", "children", "given_by", "parental_authority", "representative", "Marie Tremblay"),
		)})
		res.want(t, http.StatusCreated, "", "")
		var batch struct{ Records []consent.Result }
		if err := json.Unmarshal(res.body, &batch); err != nil {
			t.Fatal(err)
		}
		if len(batch.Records) != 3 {
			t.Fatalf("batch: got %d results, want 3 (%s)", len(batch.Records), res.body)
		}
		for i, r := range batch.Records {
			if got, want := r.Seq, int64(2+i); got != want {
				t.Errorf("records[%d].seq: got %d, want %d", i, got, want)
			}
			if r.Receipt.Index != i || r.Receipt.Head.Signature != batch.Records[0].Receipt.Head.Signature || r.Receipt.Head.FirstSeq != 2 || r.Receipt.Head.LastSeq != 4 {
				t.Errorf("records[%d]: got index %d head %+v, want index %d in the head of records 2–4", i, r.Receipt.Index, r.Receipt.Head, i)
			}
			if err := consent.VerifyReceipt(&r.Receipt, pub); err != nil {
				t.Errorf("records[%d] receipt: got %v, want it to verify", i, err)
			}
		}
		if got, want := batch.Records[0].Receipt.PrevHash, one.Hash; got != want {
			t.Errorf("records[0].prev_hash: got %s, want the first record's hash %s", got, want)
		}

		// Concurrent writers share commits, and the chain stays whole.
		var wg sync.WaitGroup
		seqs := make([]int64, 24)
		for i := range seqs {
			wg.Go(func() {
				res := ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: ta.tokens[privaq.RoleIntegration],
					body: consentRec(fmt.Sprintf("visitor-%d", 100+i), "newsletter", "channel", "banner")})
				if res.status != http.StatusCreated {
					t.Errorf("concurrent record %d: got %d, want 201 (%s)", i, res.status, res.body)
					return
				}
				var r consent.Result
				if err := json.Unmarshal(res.body, &r); err != nil {
					t.Error(err)
					return
				}
				if err := consent.VerifyReceipt(&r.Receipt, pub); err != nil {
					t.Errorf("concurrent record %d receipt: got %v, want it to verify", i, err)
				}
				seqs[i] = r.Seq
			})
		}
		wg.Wait()
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != int64(5+i) {
				t.Fatalf("concurrent records: got seqs %v, want 5 to %d once each", seqs, 4+len(seqs))
			}
		}
		rep := ta.verifyLedger(t)
		if rep.Records != 28 || rep.Batches < 3 || rep.Batches > 2+len(seqs) {
			t.Errorf("ledger verify: got %d records in %d batches, want 28 records in 3 to %d batches", rep.Records, rep.Batches, 2+len(seqs))
		}
	})
}

func TestConsentBadInput(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff := ta.tokens[privaq.RoleStaff]
		ta.record(t, staff, consentRec("alice", "newsletter"))
		ok := consentRec("bob", "newsletter")
		many := make([]map[string]any, consent.MaxBatch+1)
		for i := range many {
			many[i] = consentRec(fmt.Sprintf("visitor-%d", i), "website-analytics", "channel", "banner")
		}
		for _, tc := range []struct {
			name    string
			body    any
			invalid bool // the OpenAPI document rejects it too
			status  int
			code    privaq.Code
			field   string
		}{
			{"unknown purpose", consentRec("bob", "telepathy"), false, 422, privaq.EValidation, "purpose"},
			{"unknown subject category", consentRec("bob", "newsletter", "subject_category", "aliens"), false, 422, privaq.EValidation, "subject_category"},
			{"implied consent to sensitive data", consentRec("bob", "family-services", "mode", "implied"), false, 422, privaq.EValidation, "mode"},
			{"a minor's own consent", consentRec("kid", "day-camps", "subject_category", "children"), false, 422, privaq.EValidation, "given_by"},
			{"parental authority unnamed", consentRec("kid", "day-camps", "subject_category", "children", "given_by", "parental_authority"), false, 422, privaq.EValidation, "representative"},
			{"representative of nobody", consentRec("bob", "newsletter", "representative", "Marie Tremblay"), false, 422, privaq.EValidation, "representative"},
			{"evidence over 4 KiB", consentRec("bob", "newsletter", "evidence", map[string]any{"n": strings.Repeat("x", 4089)}), false, 422, privaq.EValidation, "evidence"},
			{"evidence a string", consentRec("bob", "newsletter", "evidence", "signed form"), true, 422, privaq.EValidation, "evidence"},
			{"evidence a list", consentRec("bob", "newsletter", "evidence", []int{1, 2}), true, 422, privaq.EValidation, "evidence"},
			{"unknown field", consentRec("bob", "newsletter", "colour", "red"), true, 422, privaq.EValidation, "colour"},
			{"missing subject", consentRec("bob", "newsletter", "subject", nil), true, 422, privaq.EValidation, "subject"},
			{"bad decision", consentRec("bob", "newsletter", "decision", "maybe"), true, 422, privaq.EValidation, "decision"},
			{"bad channel", consentRec("bob", "newsletter", "channel", "pigeon"), true, 422, privaq.EValidation, "channel"},
			{"policy version not published", consentRec("bob", "newsletter", "policy_version", 1), false, 422, privaq.EValidation, "policy_version"},
			{"expired already", consentRec("bob", "newsletter", "expires_at", "2025-03-14T09:26:52Z"), false, 422, privaq.EValidation, "expires_at"},
			{"policy version a string", consentRec("bob", "newsletter", "policy_version", "1"), true, 422, privaq.EValidation, "policy_version"},
			{"batch of 10,001", map[string]any{"records": many}, true, 422, privaq.EValidation, "records"},
			{"empty batch", batchOf(), true, 422, privaq.EValidation, "records"},
			{"batch with another field", map[string]any{"records": []any{ok}, "dry_run": true}, true, 422, privaq.EValidation, "records"},
			{"one bad record among many", batchOf(ok, ok, ok, consentRec("kid", "day-camps", "subject_category", "children"), ok),
				false, 422, privaq.EValidation, "records[3].given_by"},
			{"an unknown field in a batch", batchOf(ok, ok, consentRec("bob", "newsletter", "colour", "red")), true, 422, privaq.EValidation, "records[2].colour"},
			{"malformed JSON", `{"subject":"bob",`, true, 400, privaq.EInvalidJSON, ""},
			{"a list", `[]`, true, 400, privaq.EInvalidJSON, ""},
			{"trailing data", `{"records":[]} {}`, true, 400, privaq.EInvalidJSON, ""},
			{"expires_at not a date", consentRec("bob", "newsletter", "expires_at", "tomorrow"), true, 422, privaq.EValidation, "expires_at"},
			{"expires_at not a date in a batch", batchOf(ok, consentRec("bob", "newsletter", "expires_at", "2025-13-01T00:00:00Z")), true, 422, privaq.EValidation, "records[1].expires_at"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := ta.verifyLedger(t).Records
				ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: staff, body: tc.body, invalid: tc.invalid}).
					want(t, tc.status, tc.code, tc.field)
				if after := ta.verifyLedger(t).Records; after != before {
					t.Errorf("records after a refused write: got %d, want %d", after, before)
				}
			})
		}
		t.Run("wrong content type", func(t *testing.T) {
			ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: staff, body: ok, contentType: "text/plain", invalid: true}).
				want(t, http.StatusUnsupportedMediaType, privaq.EUnsupportedType, "")
		})
		t.Run("several problems", func(t *testing.T) {
			res := ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: staff,
				body: consentRec("kid", "telepathy", "subject_category", "children", "mode", "implied", "expires_at", "2020-01-01T00:00:00Z")})
			res.want(t, http.StatusUnprocessableEntity, privaq.EValidation, "purpose")
			var e struct{ Error errorBody }
			if err := json.Unmarshal(res.body, &e); err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, d := range e.Error.Details {
				fields = append(fields, d.Field)
			}
			if want := []string{"purpose", "given_by", "expires_at"}; !slices.Equal(fields, want) {
				t.Errorf("details: got fields %v, want %v", fields, want)
			}
		})
		// The limits themselves are accepted.
		t.Run("evidence of 4 KiB", func(t *testing.T) {
			ta.record(t, staff, consentRec("bob", "newsletter", "evidence", map[string]any{"n": strings.Repeat("x", 4088)}))
		})
		t.Run("a minor's consent by a tutor", func(t *testing.T) {
			ta.record(t, staff, consentRec("kid", "day-camps", "subject_category", "children", "given_by", "representative", "representative", "Luc Gagnon, tuteur"))
		})
		t.Run("implied consent without sensitive data", func(t *testing.T) {
			ta.record(t, staff, consentRec("bob", "membership", "mode", "implied", "channel", "form"))
		})
		t.Run("a refusal in implied mode", func(t *testing.T) {
			ta.record(t, staff, consentRec("bob", "family-services", "mode", "implied", "decision", "refused"))
		})
		if got := ta.verifyLedger(t).Records; got != 5 {
			t.Errorf("records: got %d, want the 5 valid ones", got)
		}
	})
}

func TestConsentPolicyVersion(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		officer := ta.tokens[privaq.RoleOfficer]
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies"), token: officer}).want(t, http.StatusCreated, "", "")
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies/1/publish"), token: officer, body: `{"summary_of_changes":{"fr":"Première version"}}`}).
			want(t, http.StatusOK, "", "")
		canonicalVersion := func(r consent.Result) float64 {
			var c map[string]any
			if err := json.Unmarshal([]byte(r.Receipt.Canonical), &c); err != nil {
				t.Fatal(err)
			}
			return c["policy_version"].(float64)
		}
		if got := canonicalVersion(ta.record(t, officer, consentRec("alice", "newsletter"))); got != 1 {
			t.Errorf("policy_version omitted: got %v, want the version in effect, 1", got)
		}
		if got := canonicalVersion(ta.record(t, officer, consentRec("bob", "newsletter", "policy_version", 1))); got != 1 {
			t.Errorf("policy_version 1: got %v, want 1", got)
		}
		ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: officer, body: consentRec("carol", "newsletter", "policy_version", 2)}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "policy_version")
		ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: officer, body: consentRec("carol", "newsletter", "policy_version", -1), invalid: true}).
			want(t, http.StatusUnprocessableEntity, privaq.EValidation, "policy_version")
		const zero = "policy version 0 under version 1"
		t.Run(zero, func(t *testing.T) {
			ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: officer, body: consentRec("carol", "newsletter", "policy_version", 0)}).
				want(t, http.StatusUnprocessableEntity, privaq.EValidation, "policy_version")
		})
		if got := ta.verifyLedger(t).Records; got != 2 {
			t.Errorf("records: got %d, want 2", got)
		}
	})
}

func TestConsentDecisions(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff := ta.tokens[privaq.RoleStaff]
		wantAnswer(t, "before any record", ta.decision(t, "alice", "newsletter"), consent.StateNone, false, "")
		granted := ta.record(t, staff, consentRec("alice", "newsletter"))
		wantAnswer(t, "after the grant", ta.decision(t, "alice", "newsletter"), consent.StateGranted, true, granted.ID)
		withdrawn := ta.record(t, staff, consentRec("alice", "newsletter", "decision", "withdrawn", "channel", "email"))
		wantAnswer(t, "after the withdrawal", ta.decision(t, "alice", "newsletter"), consent.StateWithdrawn, false, withdrawn.ID)
		refused := ta.record(t, staff, consentRec("alice", "website-analytics", "decision", "refused", "channel", "banner"))
		wantAnswer(t, "refused", ta.decision(t, "alice", "website-analytics"), consent.StateRefused, false, refused.ID)
		wantAnswer(t, "other subject", ta.decision(t, "bob", "newsletter"), consent.StateNone, false, "")
		wantAnswer(t, "other purpose", ta.decision(t, "alice", "social-ads"), consent.StateNone, false, "")
		wantAnswer(t, "no consent needed", ta.decision(t, "alice", "child-safety"), consent.StateNotRequired, true, "")
		wantAnswer(t, "no consent needed, never recorded", ta.decision(t, "nobody", "donations"), consent.StateNotRequired, true, "")

		// Within one batch, the last record of a pair wins.
		res := ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: staff, body: batchOf(
			consentRec("carol", "newsletter"), consentRec("carol", "newsletter", "decision", "withdrawn"), consentRec("carol", "newsletter", "decision", "refused"))})
		res.want(t, http.StatusCreated, "", "")
		var batch struct{ Records []consent.Result }
		if err := json.Unmarshal(res.body, &batch); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, "last of a batch", ta.decision(t, "carol", "newsletter"), consent.StateRefused, false, batch.Records[2].ID)

		// Expiry: granted until expires_at, expired from then on.
		now := ta.orgs.Clock.Now()
		expiring := ta.record(t, staff, consentRec("bob", "social-ads", "expires_at", now.Add(time.Hour).Format(time.RFC3339)))
		wantAnswer(t, "before expiry", ta.decision(t, "bob", "social-ads"), consent.StateGranted, true, expiring.ID)
		later := ta.withClock(t, fixedClock{now.Add(time.Hour)})
		wantAnswer(t, "at expiry", later.decision(t, "bob", "social-ads"), consent.StateExpired, false, expiring.ID)
		wantAnswer(t, "no record, later", later.decision(t, "bob", "newsletter"), consent.StateNone, false, "")
		wantAnswer(t, "still before expiry", ta.decision(t, "bob", "social-ads"), consent.StateGranted, true, expiring.ID)

		t.Run("bulk", func(t *testing.T) {
			pairs := []consent.Pair{
				{Subject: "alice", Purpose: "newsletter"},
				{Subject: "stranger", Purpose: "newsletter"},
				{Subject: "alice", Purpose: "website-analytics"},
				{Subject: "alice", Purpose: "newsletter"},
				{Subject: "bob", Purpose: "social-ads"},
				{Subject: "stranger", Purpose: "child-safety"},
				{Subject: "carol", Purpose: "newsletter"},
				{Subject: "alice", Purpose: "newsletter"},
			}
			type want struct {
				state   string
				allowed bool
				record  string
			}
			wants := []want{
				{consent.StateWithdrawn, false, withdrawn.ID},
				{consent.StateNone, false, ""},
				{consent.StateRefused, false, refused.ID},
				{consent.StateWithdrawn, false, withdrawn.ID},
				{consent.StateGranted, true, expiring.ID},
				{consent.StateNotRequired, true, ""},
				{consent.StateRefused, false, batch.Records[2].ID},
				{consent.StateWithdrawn, false, withdrawn.ID},
			}
			for _, tc := range []struct {
				name  string
				ta    *testAPI
				token privaq.Role
				edit  func(w []want)
			}{
				{"now", ta, privaq.RoleIntegration, func([]want) {}},
				{"after expiry", later, privaq.RoleAuditor, func(w []want) { w[4] = want{consent.StateExpired, false, expiring.ID} }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ws := slices.Clone(wants)
					tc.edit(ws)
					res := tc.ta.do(t, request{method: "POST", path: ta.orgPath("/decisions"), token: ta.tokens[tc.token], body: map[string]any{"pairs": pairs}})
					res.want(t, http.StatusOK, "", "")
					var out struct{ Decisions []consent.Answer }
					if err := json.Unmarshal(res.body, &out); err != nil {
						t.Fatal(err)
					}
					if len(out.Decisions) != len(pairs) {
						t.Fatalf("decisions: got %d, want %d in order (%s)", len(out.Decisions), len(pairs), res.body)
					}
					for i, w := range ws {
						wantAnswer(t, fmt.Sprintf("decisions[%d] (%s, %s)", i, pairs[i].Subject, pairs[i].Purpose), out.Decisions[i], w.state, w.allowed, w.record)
					}
				})
			}
		})

		t.Run("bad questions", func(t *testing.T) {
			tok := ta.tokens[privaq.RoleIntegration]
			pairs := func(n int) map[string]any {
				ps := make([]consent.Pair, n)
				for i := range ps {
					ps[i] = consent.Pair{Subject: fmt.Sprintf("visitor-%d", i), Purpose: "newsletter"}
				}
				return map[string]any{"pairs": ps}
			}
			for _, tc := range []struct {
				name    string
				req     request
				invalid bool
				status  int
				code    privaq.Code
				field   string
			}{
				{"unknown purpose", request{method: "GET", path: "/decisions?subject=alice&purpose=telepathy"}, false, 422, privaq.EValidation, "purpose"},
				{"no subject", request{method: "GET", path: "/decisions?purpose=newsletter"}, true, 422, privaq.EValidation, "subject"},
				{"no purpose", request{method: "GET", path: "/decisions?subject=alice"}, true, 422, privaq.EValidation, "purpose"},
				{"bulk unknown purpose", request{method: "POST", path: "/decisions", body: map[string]any{"pairs": []consent.Pair{
					{Subject: "alice", Purpose: "newsletter"}, {Subject: "alice", Purpose: "telepathy"}}}}, false, 422, privaq.EValidation, "pairs[1].purpose"},
				{"bulk empty subject", request{method: "POST", path: "/decisions", body: map[string]any{"pairs": []consent.Pair{
					{Subject: "alice", Purpose: "newsletter"}, {Subject: "", Purpose: "newsletter"}}}}, true, 422, privaq.EValidation, "pairs[1].subject"},
				{"100,001 pairs", request{method: "POST", path: "/decisions", body: pairs(consent.MaxPairs + 1)}, true, 422, privaq.EValidation, "pairs"},
				{"no pairs", request{method: "POST", path: "/decisions", body: pairs(0)}, true, 422, privaq.EValidation, "pairs"},
				{"bulk of one unknown purpose", request{method: "POST", path: "/decisions", body: `{"pairs":[{"subject":"alice","purpose":"telepathy"}]}`}, false, 422, privaq.EValidation, "pairs[0].purpose"},
				{"unknown field in a pair", request{method: "POST", path: "/decisions", body: `{"pairs":[{"subject":"a","purpose":"newsletter","at":1}]}`}, true, 422, privaq.EValidation, "pairs[0].at"},
				{"malformed", request{method: "POST", path: "/decisions", body: `{"pairs":[`}, true, 400, privaq.EInvalidJSON, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := tc.req
					r.path, r.token, r.invalid = ta.orgPath(r.path), tok, tc.invalid
					ta.do(t, r).want(t, tc.status, tc.code, tc.field)
				})
			}
		})

		t.Run("100,000 pairs", func(t *testing.T) {
			ps := make([]consent.Pair, consent.MaxPairs)
			for i := range ps {
				ps[i] = consent.Pair{Subject: fmt.Sprintf("visitor-%d", i), Purpose: "newsletter"}
			}
			ps[consent.MaxPairs-1] = consent.Pair{Subject: "alice", Purpose: "website-analytics"}
			res := ta.do(t, request{method: "POST", path: ta.orgPath("/decisions"), token: ta.tokens[privaq.RoleIntegration], body: map[string]any{"pairs": ps}})
			res.want(t, http.StatusOK, "", "")
			var out struct{ Decisions []consent.Answer }
			if err := json.Unmarshal(res.body, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Decisions) != consent.MaxPairs {
				t.Fatalf("decisions: got %d, want %d", len(out.Decisions), consent.MaxPairs)
			}
			wantAnswer(t, "first", out.Decisions[0], consent.StateNone, false, "")
			wantAnswer(t, "last", out.Decisions[consent.MaxPairs-1], consent.StateRefused, false, refused.ID)
		})
	})
}

func TestConsentHistory(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		staff := ta.tokens[privaq.RoleStaff]
		subject := "alice/42 @example.org"
		path := ta.orgPath("/subjects/" + url.PathEscape(subject) + "/consents")
		empty := ta.do(t, request{method: "GET", path: path, token: ta.tokens[privaq.RoleAuditor]})
		empty.want(t, http.StatusOK, "", "")
		sameJSON(t, "history before any record", empty.body, map[string]any{"subject": subject, "current": []any{}, "records": []any{}})

		g := ta.record(t, staff, consentRec(subject, "newsletter", "evidence", map[string]any{"form": "f-12"}))
		ta.record(t, staff, consentRec("someone else", "newsletter"))
		r := ta.record(t, staff, consentRec(subject, "website-analytics", "decision", "refused", "channel", "banner"))
		w := ta.record(t, staff, consentRec(subject, "newsletter", "decision", "withdrawn", "channel", "phone", "given_by", "representative", "representative", "Me Roy, mandataire"))

		for _, role := range []privaq.Role{privaq.RoleOfficer, privaq.RoleStaff, privaq.RoleAuditor} {
			t.Run(string(role), func(t *testing.T) {
				res := ta.do(t, request{method: "GET", path: path, token: ta.tokens[role]})
				res.want(t, http.StatusOK, "", "")
				var h consent.History
				if err := json.Unmarshal(res.body, &h); err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, rec := range h.Records {
					ids = append(ids, rec.ID)
					if rec.Subject != subject {
						t.Errorf("record %s: got subject %q, want %q", rec.ID, rec.Subject, subject)
					}
				}
				if want := []string{g.ID, r.ID, w.ID}; !slices.Equal(ids, want) {
					t.Errorf("records: got %v, want %v in sequence order", ids, want)
				}
				if len(h.Records) == 3 {
					if got := string(h.Records[0].Evidence); got != `{"form":"f-12"}` {
						t.Errorf("evidence: got %s, want the object recorded", got)
					}
					if h.Records[2].Representative != "Me Roy, mandataire" || h.Records[2].GivenBy != consent.ByRepresentative {
						t.Errorf("withdrawal: got given_by %q representative %q, want the representative named", h.Records[2].GivenBy, h.Records[2].Representative)
					}
				}
				type cur struct {
					purpose, state string
					allowed        bool
					record         string
				}
				var got []cur
				for _, c := range h.Current {
					rec := ""
					if c.Record != nil {
						rec = *c.Record
					}
					got = append(got, cur{c.Purpose, c.State, c.Allowed, rec})
				}
				want := []cur{{"newsletter", consent.StateWithdrawn, false, w.ID}, {"website-analytics", consent.StateRefused, false, r.ID}}
				if !slices.Equal(got, want) {
					t.Errorf("current: got %+v, want %+v", got, want)
				}
			})
		}
		ta.do(t, request{method: "GET", path: path, token: ta.tokens[privaq.RoleIntegration]}).want(t, http.StatusForbidden, privaq.EForbidden, "")
		ta.do(t, request{method: "GET", path: ta.orgPath("/subjects/%20padded/consents"), token: staff}).want(t, http.StatusUnprocessableEntity, privaq.EValidation, "subject")

		// Each read is in the audit log, without the subject.
		res := ta.do(t, request{method: "GET", path: ta.orgPath("/audit?action=consent."), token: ta.tokens[privaq.RoleAuditor]})
		res.want(t, http.StatusOK, "", "")
		var log struct{ Items []map[string]any }
		if err := json.Unmarshal(res.body, &log); err != nil {
			t.Fatal(err)
		}
		var actors []string
		for _, e := range log.Items {
			if e["action"] != "consent.history" || e["target"] != "consents/subject" {
				t.Errorf("audit entry: got %v, want consent.history of consents/subject", e)
			}
			actors = append(actors, e["actor"].(string))
		}
		want := []string{"token: test-auditor", "token: test-staff", "token: test-officer", "token: test-auditor"}
		if !slices.Equal(actors, want) {
			t.Errorf("consent.history entries: got actors %v, want %v (newest first)", actors, want)
		}
		if strings.Contains(string(res.body), "alice") {
			t.Errorf("audit log: got the subject reference in %s, want none", res.body)
		}
	})
}

func TestConsentRoles(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		rec := consentRec("alice", "newsletter")
		for _, tc := range []struct {
			role   privaq.Role
			req    request
			status int
		}{
			{privaq.RoleAuditor, request{method: "POST", path: "/consents", body: rec}, 403},
			{privaq.RoleAuditor, request{method: "POST", path: "/consents", body: batchOf(rec)}, 403},
			{privaq.RoleOfficer, request{method: "POST", path: "/consents", body: rec}, 201},
			{privaq.RoleStaff, request{method: "POST", path: "/consents", body: rec}, 201},
			{privaq.RoleIntegration, request{method: "POST", path: "/consents", body: batchOf(rec, rec)}, 201},
			{privaq.RoleAuditor, request{method: "GET", path: "/decisions?subject=alice&purpose=newsletter"}, 200},
			{privaq.RoleIntegration, request{method: "POST", path: "/decisions", body: `{"pairs":[{"subject":"alice","purpose":"newsletter"}]}`}, 200},
			{privaq.RoleIntegration, request{method: "GET", path: "/ledger/verify"}, 200},
			{privaq.RoleIntegration, request{method: "GET", path: "/subjects/alice/consents"}, 403},
			{privaq.RoleAuditor, request{method: "GET", path: "/subjects/alice/consents"}, 200},
		} {
			t.Run(fmt.Sprintf("%s %s %s", tc.role, tc.req.method, tc.req.path), func(t *testing.T) {
				r := tc.req
				r.path, r.token = ta.orgPath(r.path), ta.tokens[tc.role]
				code := privaq.Code("")
				if tc.status == 403 {
					code = privaq.EForbidden
				}
				ta.do(t, r).want(t, tc.status, code, "")
			})
		}
		if got := ta.verifyLedger(t).Records; got != 4 {
			t.Errorf("records: got %d, want the 4 allowed", got)
		}
		// Another organization's token finds nothing and records nothing.
		ta.do(t, request{method: "POST", path: ta.orgPath("/consents"), token: ta.bOfficer, body: rec}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		ta.do(t, request{method: "GET", path: ta.orgPath("/subjects/alice/consents"), token: ta.bOfficer}).want(t, http.StatusNotFound, privaq.ENotFound, "")
		if got := ta.verifyLedger(t).Records; got != 4 {
			t.Errorf("records after B's attempt: got %d, want 4", got)
		}
	})
}

// TestConsentRenewal: after a significant policy change adds a purpose,
// consents to it given under the older version need renewal and, since
// the demo organization asks again, count as expired once it takes effect.
func TestConsentRenewal(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ta *testAPI) {
		officer := ta.tokens[privaq.RoleOfficer]
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies"), token: officer}).want(t, http.StatusCreated, "", "")
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies/1/publish"), token: officer, body: `{"summary_of_changes":{"fr":"Première version"}}`}).
			want(t, http.StatusOK, "", "")
		old := ta.record(t, officer, consentRec("alice", "newsletter"))

		doc := inventory.Demo()
		for i, a := range doc.Activities {
			if !slices.Contains(a.Purposes, "newsletter") {
				doc.Activities[i].Purposes = append(doc.Activities[i].Purposes, "newsletter")
				break
			}
		}
		if _, err := ta.inv.Replace(context.Background(), privaq.System(ta.a.ID), ta.a.ID, doc); err != nil {
			t.Fatal(err)
		}
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies"), token: officer}).want(t, http.StatusCreated, "", "")
		now := ta.orgs.Clock.Now()
		effective := now.AddDate(0, 0, 31)
		ta.do(t, request{method: "POST", path: ta.orgPath("/policies/2/publish"), token: officer,
			body: `{"effective_at":"` + effective.Format(time.RFC3339) + `","summary_of_changes":{"fr":"Nouvelle fin"}}`}).want(t, http.StatusOK, "", "")

		a := ta.decision(t, "alice", "newsletter")
		wantAnswer(t, "during the notice period", a, consent.StateGranted, true, old.ID)
		if a.Renew {
			t.Errorf("renewal_required during the notice period: got true, want false")
		}
		later := ta.withClock(t, fixedClock{effective})
		a = later.decision(t, "alice", "newsletter")
		wantAnswer(t, "once version 2 is in effect", a, consent.StateExpired, false, old.ID)
		if !a.Renew {
			t.Errorf("renewal_required once version 2 is in effect: got false, want true")
		}
		res := later.do(t, request{method: "GET", path: ta.orgPath("/subjects/alice/consents"), token: officer})
		res.want(t, http.StatusOK, "", "")
		var h consent.History
		if err := json.Unmarshal(res.body, &h); err != nil {
			t.Fatal(err)
		}
		if len(h.Current) != 1 || !h.Current[0].Renew || h.Current[0].PolicyVersion != 1 || h.Current[0].State != consent.StateExpired {
			t.Errorf("history: got current %+v, want newsletter expired, given under version 1, renewal required", h.Current)
		}
		renewed := later.record(t, officer, consentRec("alice", "newsletter"))
		a = later.decision(t, "alice", "newsletter")
		wantAnswer(t, "renewed under version 2", a, consent.StateGranted, true, renewed.ID)
		if a.Renew {
			t.Errorf("renewal_required after renewal: got true, want false")
		}
		wantAnswer(t, "other purposes are unaffected", later.decision(t, "alice", "website-analytics"), consent.StateNone, false, "")
	})
}
