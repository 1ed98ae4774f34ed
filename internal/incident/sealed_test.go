package incident_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"privaq/internal/incident"
	"privaq/internal/keys"
	"privaq/internal/store"
)

// TestSealedAtRest: the texts of an incident and its list of people never
// reach the SQLite file or its log in clear.
func TestSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := newFixture(t, db)
	inc := f.declare(t)
	if _, err := f.svc.Disclose(ctx, f.officer, f.a.ID, inc.ID, incident.DisclosureInput{Recipient: "Caisse Populaire Secrète",
		Information: "Numéros de membres confidentiels", Reason: "Bloquer les comptes"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, []byte(threePeople)); err != nil {
		t.Fatal(err)
	}
	f.assessSerious(t, inc.ID)
	if _, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
		in.Measures = "Mot de passe réinitialisé pour Ginette Tremblay-Secrète."
		return nil
	}, ""); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "privaq.db")
	for _, name := range []string{file, file + "-wal"} {
		b, err := os.ReadFile(name)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range []string{"camp d’été", "Erreur humaine", "Émilie Côté", "emilie.cote@example.org", "rue des Érables",
			"Caisse Populaire Secrète", "Numéros de membres", "hameçonnage", "Tremblay-Secrète", "Méfiez-vous"} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in clear", filepath.Base(name), s)
			}
		}
	}
}
