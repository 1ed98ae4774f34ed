package incident_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/pdfdoc/pdftest"
)

// TestRegisterFields declares, assesses and notifies an incident and
// checks that the register export holds exactly the fields of Reg-I s. 7,
// in order, with the incident's values, in CSV and in PDF.
func TestRegisterFields(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		if inc.Reference != "INC-2026-001" || inc.Status != incident.StatusOpen || inc.DeclaredBy != f.staffEmail {
			t.Errorf("declared: got reference %q status %q by %q, want INC-2026-001 open %s", inc.Reference, inc.Status, inc.DeclaredBy, f.staffEmail)
		}
		reg, err := f.svc.Register(ctx, f.auditor, f.a.ID, "fr")
		if err != nil {
			t.Fatal(err)
		}
		row := reg.Rows[0]
		if got, want := row[6], "non évalué"; got != want {
			t.Errorf("serious_risk before assessment: got %q, want %q", got, want)
		}
		f.assessSerious(t, inc.ID)
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.CAINotifiedAt = "2026-03-02"
			in.PublicNoticeAt = "2026-03-03"
			in.PublicNoticeReason = "Adresses de certains parents inconnues."
			return nil
		}, ""); err != nil {
			t.Fatal(err)
		}
		second := declaration()
		second.Kind, second.Description, second.DataCategories = "loss", "Perte d’une clé USB non chiffrée.", nil
		second.InformationUnknownReason = "La clé n’a pas été retrouvée ; son contenu exact est inconnu."
		second.DiscoveredAt = "2026-03-02"
		if _, err := f.svc.Declare(ctx, f.officer, f.a.ID, second); err != nil {
			t.Fatal(err)
		}

		reg, err = f.svc.Register(ctx, f.auditor, f.a.ID, "fr")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := reg.CSV(&buf); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		wantHead := []string{"Référence", "Renseignements personnels visés (ou raison pour laquelle ils ne sont pas connus)", "Description des circonstances",
			"Date ou période de l’incident", "Date ou période de la prise de connaissance", "Nombre de personnes concernées", "Risque de préjudice sérieux",
			"Éléments de l’évaluation du risque de préjudice sérieux", "Date de l’avis à la Commission", "Date des avis aux personnes concernées",
			"Avis public et motif", "Mesures prises pour diminuer le risque de préjudice"}
		if !slices.Equal(records[0], wantHead) {
			t.Errorf("header:\n got %q\nwant %q", records[0], wantHead)
		}
		if len(records) != 3 {
			t.Fatalf("rows: got %d, want a header and 2 incidents", len(records))
		}
		// The second incident was learned of earlier the same day: the
		// register is in the order the organization learned of them.
		first, loss := records[2], records[1]
		want := map[string]string{
			"reference":            "INC-2026-001",
			"personal_information": "Identité et coordonnées, Santé et allergies des enfants",
			"circumstances":        "Un courriel contenant la liste des élèves du camp d’été a été envoyé par erreur à « tous les parents ».\nCause\u00a0: Erreur humaine : mauvaise liste de distribution.",
			"occurred":             "du 26 février 2026 au 27 février 2026",
			"discovered":           "2 mars 2026 à 14 h 30 (UTC)",
			"people":               "1\u00a0200, dont 1\u00a0100 au Québec (estimation)",
			"serious_risk":         "oui",
			"cai_notice":           "2 mars 2026",
			"persons_notice":       "",
			"public_notice":        "Oui, le 3 mars 2026\u00a0: Adresses de certains parents inconnues.",
			"measures":             "Rappel du courriel, demande de suppression aux destinataires, formation du personnel.",
		}
		for i, c := range incident.Columns {
			if w, ok := want[c.Key]; ok && first[i] != w {
				t.Errorf("%s (item %d): got %q, want %q", c.Key, c.Item, first[i], w)
			}
		}
		if g := first[7]; !strings.HasPrefix(g, "Risque de préjudice sérieux — sensibilité des renseignements\u00a0: élevée") || !strings.Contains(g, "hameçonnage") {
			t.Errorf("risk_assessment: got %q, want the factors and the grounds", g)
		}
		if got, want := loss[1], "Non connus\u00a0: La clé n’a pas été retrouvée ; son contenu exact est inconnu."; got != want {
			t.Errorf("personal_information of an unknown: got %q, want %q", got, want)
		}

		buf.Reset()
		if err := reg.PDF(&buf); err != nil {
			t.Fatal(err)
		}
		text, _ := pdftest.Text(t, buf.Bytes())
		flat := pdftest.Flat(text)
		for _, w := range []string{"Registre des incidents de confidentialité — Entraide Jeunesse Rive-Sud inc.", "INC-2026-001", "INC-2026-002",
			"Santé et allergies des enfants", "camp d’été", "« tous les parents »", "Avis public et motif (7°)", "Page 2 sur 2", "hameçonnage"} {
			if !strings.Contains(flat, pdftest.Flat(w)) {
				t.Errorf("register PDF lacks %q", w)
			}
		}
	})
}

// TestDeleteGuard proves the five-year rule: an incident cannot leave the
// register until five years after the organization learned of it.
func TestDeleteGuard(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		if err := f.svc.Delete(ctx, f.staff, f.a.ID, inc.ID); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("staff deletes: got %v, want forbidden", err)
		}
		err := f.svc.Delete(ctx, f.officer, f.a.ID, inc.ID)
		var pe *privaq.Error
		if !privaq.IsCode(err, privaq.EConflict) || !asError(err, &pe) || !strings.Contains(pe.Message, "2031-03-02") || !strings.Contains(pe.FR, "5 ans") {
			t.Fatalf("delete now: got %v, want a conflict saying 2031-03-02", err)
		}
		// Discovered 2026-03-02 14:30 UTC: still kept at 14:29 five years on.
		f.clock.Add(time.Date(2031, 3, 2, 14, 29, 0, 0, time.UTC).Sub(f.clock.Now()))
		if err := f.svc.Delete(ctx, f.officer, f.a.ID, inc.ID); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("delete a minute early: got %v, want conflict", err)
		}
		f.clock.Add(2 * time.Minute)
		if err := f.svc.Delete(ctx, f.officer, f.a.ID, inc.ID); err != nil {
			t.Fatalf("delete after five years: %v", err)
		}
		if _, err := f.svc.Get(ctx, f.officer, f.a.ID, inc.ID); !privaq.IsCode(err, privaq.ENotFound) {
			t.Errorf("get after delete: got %v, want not_found", err)
		}
		if got := f.auditActions(t, f.a.ID); !strings.HasPrefix(got[0], "incident.delete incident/") {
			t.Errorf("last audit entry: got %q, want the deletion", got[0])
		}
	})
}

func asError(err error, pe **privaq.Error) bool {
	list := errorList(err)
	if len(list) == 0 {
		return false
	}
	*pe = list[0]
	return true
}

// TestStatus closes an incident only once assessed and, when serious,
// notified.
func TestStatus(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		keep := func(*incident.Input) error { return nil }
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, keep, incident.StatusClosed); fields(err) != "status" {
			t.Errorf("close unassessed: got %v, want a status error", err)
		}
		f.assessSerious(t, inc.ID)
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, keep, incident.StatusClosed); fields(err) != "cai_notified_at,persons_notified_at" {
			t.Errorf("close serious unnotified: got fields %q (%v), want cai_notified_at,persons_notified_at", fields(err), err)
		}
		got, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.CAINotifiedAt, in.PublicNoticeAt, in.PublicNoticeReason = "2026-03-02", "2026-03-02", "Coordonnées inconnues."
			return nil
		}, incident.StatusClosed)
		if err != nil || got.Status != incident.StatusClosed || got.ClosedAt == nil {
			t.Fatalf("close notified: got %s %v, %v", got.Status, got.ClosedAt, err)
		}
		h := got.History[len(got.History)-1]
		if h.Action != "closed" || h.By != f.officerEmail {
			t.Errorf("last history entry: got %s by %s, want closed by %s", h.Action, h.By, f.officerEmail)
		}
		var changed []string
		for _, c := range h.Changes {
			changed = append(changed, c.Field)
		}
		if !slices.Equal(changed, []string{"cai_notified_at", "public_notice_at", "public_notice_reason", "status"}) {
			t.Errorf("changes: got %v", changed)
		}
		open, _, err := f.svc.Summary(ctx, f.staff, f.a.ID)
		if err != nil || open != 0 {
			t.Errorf("open incidents after closing: got %d, %v; want 0", open, err)
		}
	})
}
