package rights_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"privaq"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/rights"
	"privaq/internal/store"
)

// A tiny PNG: what a scan of an identity document is to the checks.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func TestIdentityDocumentCopy(t *testing.T) {
	each(t, inventory.RegimePrivate, func(t *testing.T, f *fixture) {
		r := f.verified(t, rights.TypeAccess)
		if _, err := f.svc.AddDocument(ctx, f.staff, f.a.ID, r.ID, "passeport.png", png); !privaq.IsCode(err, privaq.EForbidden) {
			t.Fatalf("staff keeping a copy: got %v, want forbidden", err)
		}
		if _, err := f.svc.AddDocument(ctx, f.bOfficer, f.b.ID, r.ID, "passeport.png", png); !privaq.IsCode(err, privaq.ENotFound) {
			t.Fatalf("another organization: got %v, want not_found", err)
		}
		for _, bad := range [][]byte{nil, []byte("#!/bin/sh\nrm -rf /\n"), append(append([]byte{}, png...), make([]byte, rights.MaxDocument)...)} {
			if _, err := f.svc.AddDocument(ctx, f.officer, f.a.ID, r.ID, "x", bad); !privaq.IsCode(err, privaq.EValidation) {
				t.Errorf("a bad file of %d bytes: got %v, want validation_failed", len(bad), err)
			}
		}
		d, err := f.svc.AddDocument(ctx, f.officer, f.a.ID, r.ID, `..\..\etc\passeport.png`, png)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "passeport.png" || d.ContentType != "image/png" {
			t.Errorf("kept %+v", d)
		}
		list, err := f.svc.Documents(ctx, f.auditor, f.a.ID, r.ID)
		if err != nil || len(list) != 1 || list[0].AddedBy == "" {
			t.Fatalf("documents: %+v, %v", list, err)
		}
		if _, _, err := f.svc.DocumentData(ctx, f.auditor, f.a.ID, r.ID, d.ID); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("auditor reading the copy: got %v, want forbidden", err)
		}
		_, data, err := f.svc.DocumentData(ctx, f.officer, f.a.ID, r.ID, d.ID)
		if err != nil || !bytes.Equal(data, png) {
			t.Fatalf("read back: %v", err)
		}
		// Destroyed with the file: not while the recourse delay runs.
		if _, err := f.svc.Answer(ctx, f.officer, f.a.ID, r.ID, rights.Answer{Outcome: rights.OutcomeGranted}); err != nil {
			t.Fatal(err)
		}
		rm := &rights.Reminder{Service: f.svc, Users: f.db}
		rm.RunOnce(ctx)
		if list, _ = f.svc.Documents(ctx, f.officer, f.a.ID, r.ID); len(list) != 1 {
			t.Fatalf("destroyed during the recourse delay: %d left", len(list))
		}
		f.clock.Add((rights.RecourseDays + 1) * 24 * time.Hour)
		if _, err := rm.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if list, _ = f.svc.Documents(ctx, f.officer, f.a.ID, r.ID); len(list) != 0 {
			t.Fatalf("after the recourse delay: %d copies left", len(list))
		}
		got, _ := f.svc.Get(ctx, f.officer, f.a.ID, r.ID)
		if last := got.Events[len(got.Events)-1]; last.Action != "identity_copy_destroyed" {
			t.Errorf("last event %s, want identity_copy_destroyed", last.Action)
		}
	})
}

// The copy and its name are sealed in the database file.
func TestIdentityDocumentSealed(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, inventory.RegimePrivate)
	r := f.verified(t, rights.TypeAccess)
	marked := append(append([]byte{}, png...), []byte("SCAN-OF-PASSPORT-X1234")...)
	if _, err := f.svc.AddDocument(ctx, f.officer, f.a.ID, r.ID, "passeport-elise.png", marked); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var all []byte
	for _, name := range []string{"privaq.db", "privaq.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		all = append(all, b...)
	}
	for _, secret := range []string{"passeport-elise", "SCAN-OF-PASSPORT-X1234"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("%q is in the database file in clear", secret)
		}
	}
}
