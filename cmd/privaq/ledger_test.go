package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/store"
	"privaq/internal/store/storetest"
)

// TestLedgerCommands records consents in a database, checks the chain and
// a receipt with the CLI, then breaks one record behind the store's back:
// verify fails naming it, with exit 1 and one line.
func TestLedgerCommands(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			dir, url := t.TempDir(), e.URL(t)
			args := []string{"--data", dir}
			if url != "" {
				args = append(args, "--database-url", url)
			}
			if r := cli(t, "", append([]string{"org", "create", "--slug", "acme", "--name", "Acme"}, args...)...); r.code != exitOK {
				t.Fatalf("org create: %+v", r)
			}
			ctx := context.Background()
			master, err := keys.LoadOrCreateMaster(filepath.Join(dir, "keys"))
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(ctx, url, dir, master)
			if err != nil {
				t.Fatal(err)
			}
			o, err := db.OrgBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (&inventory.Service{Store: db}).Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
				t.Fatal(err)
			}
			w := consent.NewWriter(db, privaq.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			wctx, stop := context.WithCancel(ctx)
			go w.Run(wctx)
			svc := &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: privaq.SystemClock{}}
			var res []consent.Result
			for _, s := range []string{"a", "b", "c"} {
				r, err := svc.Record(ctx, privaq.System(o.ID), o.ID, []consent.Input{{Subject: s, Purpose: "newsletter",
					Decision: consent.Granted, Mode: consent.Express, Channel: "paper", GivenBy: consent.BySubject}})
				if err != nil {
					t.Fatal(err)
				}
				res = append(res, r...)
			}
			ks, err := svc.PublicKeys(ctx, o.ID)
			stop()
			db.Close()
			if err != nil {
				t.Fatal(err)
			}

			r := cli(t, "", append([]string{"ledger", "verify", "--org", "acme"}, args...)...)
			if r.code != exitOK || !strings.HasPrefix(r.stdout, "ledger intact: 3 records in 3 signed batches") {
				t.Fatalf("verify: %+v", r)
			}
			key := base64.StdEncoding.EncodeToString(ks[0].Key)
			receipt, _ := json.Marshal(res[1].Receipt)
			file := filepath.Join(t.TempDir(), "receipt.json")
			os.WriteFile(file, receipt, 0o600)
			if r := cli(t, "", "ledger", "check-receipt", "--key", key, file); r.code != exitOK || !strings.Contains(r.stdout, "receipt valid: record 2") {
				t.Errorf("check-receipt: %+v", r)
			}
			forged := strings.Replace(string(receipt), `\"subject\":\"b\"`, `\"subject\":\"z\"`, 1)
			if r := cli(t, forged, "ledger", "check-receipt", "--key", key, "-"); r.code != exitFailure || !strings.Contains(r.stderr, "does not match") {
				t.Errorf("forged receipt: %+v", r)
			}
			if r := cli(t, "", "ledger", "check-receipt", "--key", "abc", file); r.code != exitUsage {
				t.Errorf("bad key: %+v", r)
			}

			raw := openRaw(t, dir, url)
			for _, s := range tamperSQL(url != "", o.ID) {
				if _, err := raw.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			r = cli(t, "", append([]string{"ledger", "verify", "--org", "acme"}, args...)...)
			if r.code != exitFailure || !strings.Contains(r.stderr, "ledger broken at record 2") {
				t.Errorf("verify after tampering: %+v", r)
			}
			wantOneLine(t, "stderr", r.stderr)
		})
	}
}

func openRaw(t *testing.T, dir, url string) *sql.DB {
	t.Helper()
	var raw *sql.DB
	var err error
	if url != "" {
		raw, err = sql.Open("pgx", url)
	} else {
		raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "privaq.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// tamperSQL changes record 2's purpose, after dropping the append-only
// guard as someone with access to the database could.
func tamperSQL(pg bool, org privaq.OrgID) []string {
	guard := []string{`DROP TRIGGER consent_records_no_update`}
	if pg {
		guard = []string{`ALTER TABLE consent_records DISABLE TRIGGER consent_records_no_change`}
	}
	return append(guard, fmt.Sprintf(`UPDATE consent_records SET channel = 'phone' WHERE seq = 2 AND org_id = %d`, org))
}
