package consent

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"privaq/internal/inventory"
)

// FuzzDecodeInputs feeds arbitrary bodies to the decoder and validation:
// no panic, and every decoded record is validated without one either.
func FuzzDecodeInputs(f *testing.F) {
	for _, s := range []string{
		`{"subject":"a","purpose":"newsletter","decision":"granted","mode":"express","channel":"web","given_by":"subject"}`,
		`{"records":[{"subject":"a","purpose":"x"},{"subject":"b","evidence":{"k":[1,2,{"z":null}]}}]}`,
		`{"records":[]}`, `{"records":null}`, `[]`, `{"subject":1}`, `{"evidence":"x"}`, `{"expires_at":"2030-01-01T00:00:00Z"}`,
		`{"policy_version":-1,"given_by":"representative","representative":"  "}`, "{\"subject\":\"\u0000\"}",
	} {
		f.Add([]byte(s))
	}
	rules := RulesOf(inventory.Demo())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		ins, _, err := DecodeInputs(body)
		if err != nil {
			return
		}
		if len(ins) == 0 || len(ins) > MaxBatch {
			t.Fatalf("decoded %d records", len(ins))
		}
		for _, in := range ins {
			r, errs := rules.Check(in, now, 3)
			if len(errs) == 0 && (r.Subject == "" || len(r.Evidence) > MaxEvidenceBytes) {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

// FuzzVerifyReceipt mutates a valid receipt: the checker never panics,
// and accepts nothing but the original record under the original head.
func FuzzVerifyReceipt(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	var ps []*pending
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		ps = append(ps, &pending{recs: []Record{{ID: "id-" + s, Subject: s, Purpose: "newsletter", Decision: Granted, Mode: Express,
			Channel: "web", GivenBy: BySubject}}})
	}
	seal(7, Tip{LastHash: Genesis}, SigningKey{ID: 1, Private: priv}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ps)
	orig := ps[2].receipts[0]
	if err := VerifyReceipt(&orig, pub); err != nil {
		f.Fatal(err)
	}
	seed, _ := json.Marshal(orig)
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Receipt
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if VerifyReceipt(&r, pub) == nil && (r.Canonical != orig.Canonical || r.Head.SignedBytes() == nil ||
			string(r.Head.SignedBytes()) != string(orig.Head.SignedBytes())) {
			t.Fatalf("accepted a different receipt: %+v", r)
		}
	})
}

// FuzzCanonicalString checks that the canonical form writes strings byte
// for byte as encoding/json does: every hash already stored depends on it.
func FuzzCanonicalString(f *testing.F) {
	for _, s := range []string{"", "plain", "café", `a"b\c`, "<script>&", "tab\there", "\x00\x7f", "\u2028", "\xff\xfe", "émile@exemple.qc.ca"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		var got bytes.Buffer
		writeJSONString(&got, s)
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%q: got %s, want %s", s, got.Bytes(), want)
		}
	})
}
