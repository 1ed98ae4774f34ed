package incident_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/incident"
	"privaq/internal/inventory"
	"privaq/internal/mail"
	"privaq/internal/mail/mailtest"
	"privaq/internal/pdfdoc/pdftest"
)

// TestCAINoticeRefusesBlanks asks for the notice to the Commission while
// items are blank: it is refused, naming each one; once they are filled,
// the notice has the eleven items of Reg-I s. 3, as text and as PDF.
func TestCAINoticeRefusesBlanks(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		in := declaration()
		in.PeopleCount, in.PeopleInQuebec, in.Measures = nil, nil, ""
		inc, err := f.svc.Declare(ctx, f.staff, f.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CAINotice(ctx, f.staff, f.a.ID, inc.ID, "fr")
		if got, want := fields(err), "people_count,assessment,notification_plan,measures"; got != want || !privaq.IsCode(err, privaq.EValidation) {
			t.Fatalf("notice with blanks: got fields %q (%v), want %q", got, err, want)
		}
		if e := errorList(err)[0]; !strings.Contains(e.Message, "item 7 of the notice") || !strings.Contains(e.FR, "Élément 7") {
			t.Errorf("first problem: got %q / %q, want it to name item 7", e.Message, e.FR)
		}
		f.assessSerious(t, inc.ID)
		n, q := 40, 35
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.PeopleCount = &n
			in.Measures = "Révocation des accès ; avis aux parents."
			return nil
		}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CAINotice(ctx, f.staff, f.a.ID, inc.ID, "fr"); fields(err) != "people_in_quebec,notification_plan" {
			t.Fatalf("notice without people_in_quebec: got %q (%v)", fields(err), err)
		}
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.PeopleInQuebec = &q
			in.NotificationPlan = "Courriel à chaque parent le 3 mars ; lettre aux autres."
			in.OthersNotified = "Service de police de l’agglomération de Longueuil."
			return nil
		}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Disclose(ctx, f.officer, f.a.ID, inc.ID, incident.DisclosureInput{DisclosedAt: "2026-03-02", Recipient: "Banque Desjardins",
			Information: "Noms des parents touchés", Reason: "Surveiller les tentatives de fraude"}); err != nil {
			t.Fatal(err)
		}
		notice, err := f.svc.CAINotice(ctx, f.staff, f.a.ID, inc.ID, "fr")
		if err != nil {
			t.Fatalf("complete notice: %v", err)
		}
		if len(notice.Items) != 11 {
			t.Fatalf("items: got %d, want the 11 of Reg-I s. 3", len(notice.Items))
		}
		want := map[int]string{
			1:  "Entraide Jeunesse Rive-Sud inc.",
			2:  "Nadia Bergeron, Directrice générale et responsable de la protection des renseignements personnels\nvieprivee@entraide-jeunesse.example.org\n450 555-0142",
			7:  "40, dont 35 au Québec (estimation)",
			9:  "Courriel à chaque parent le 3 mars ; lettre aux autres.",
			10: "Révocation des accès ; avis aux parents.",
			11: "Service de police de l’agglomération de Longueuil.\nBanque Desjardins, le 2 mars 2026\u00a0: Noms des parents touchés (Surveiller les tentatives de fraude)",
		}
		for i, w := range want {
			if got := notice.Items[i-1].Value; !strings.HasPrefix(got, w) {
				t.Errorf("item %d: got %q, want it to start with %q", i, got, w)
			}
		}
		text := notice.Text()
		for _, w := range []string{"Avis à la Commission d’accès à l’information — incident de confidentialité", "\n8. Description des éléments",
			"sensibilité des renseignements\u00a0: élevée"} {
			if !strings.Contains(text, w) {
				t.Errorf("text lacks %q:\n%s", w, text)
			}
		}
		var buf bytes.Buffer
		if err := notice.PDF(&buf); err != nil {
			t.Fatal(err)
		}
		pdf, _ := pdftest.Text(t, buf.Bytes())
		flat := pdftest.Flat(pdf)
		for _, w := range []string{"Avis à la Commission d’accès à l’information", "11. Le cas échéant, personnes ou organismes avisés",
			"Santé et allergies des enfants", "« tous les parents »", "Révocation des accès ; avis aux parents."} {
			if !strings.Contains(flat, pdftest.Flat(w)) {
				t.Errorf("PDF lacks %q", w)
			}
		}
		en, err := f.svc.CAINotice(ctx, f.staff, f.a.ID, inc.ID, "en")
		if err != nil || !strings.HasPrefix(en.Items[6].Value, "40, of whom 35 in Quebec (estimate)") {
			t.Errorf("English notice item 7: got %v, %v", en, err)
		}
	})
}

// smtpWorker returns a mail worker that delivers to an in-process SMTP
// server.
func smtpWorker(t testing.TB, f *fixture) (*mail.Worker, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.URL(), "privaq@example.test")
	if err != nil {
		t.Fatal(err)
	}
	return &mail.Worker{Store: f.db, Sender: sender, Clock: f.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, srv
}

const threePeople = "nom;courriel;adresse;langue\n" +
	"Émilie Côté;emilie.cote@example.org;;fr\n" +
	"John O'Neil;john.oneil@example.org;;en-CA\n" +
	"Gaétan Bélanger;;\"12, rue des Érables\nLongueuil (Québec) J4H 1A1\";\n"

// TestSendNotices imports three people, sends the notices through the
// in-process SMTP server, and follows each delivery.
func TestSendNotices(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		worker, srv := smtpWorker(t, f)
		inc := f.declare(t)
		if n, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, []byte(threePeople)); err != nil || n != 3 {
			t.Fatalf("import: got %d, %v", n, err)
		}
		if _, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID); !privaq.IsCode(err, privaq.EConflict) {
			t.Fatalf("send before a serious assessment: got %v, want conflict", err)
		}
		f.assessSerious(t, inc.ID)
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.PersonNotice.Advice.EN = ""
			return nil
		}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID); fields(err) != "person_notice.advice.en" {
			t.Fatalf("send without the English advice: got %q (%v), want person_notice.advice.en", fields(err), err)
		}
		if _, err := f.svc.SendNotices(ctx, f.staff, f.a.ID, inc.ID); !privaq.IsCode(err, privaq.EForbidden) {
			t.Errorf("staff sends: got %v, want forbidden", err)
		}
		if _, err := f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.PersonNotice.Advice.EN = "Be wary of emails claiming to come from the school."
			return nil
		}, ""); err != nil {
			t.Fatal(err)
		}
		sent, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sent.Queued != 2 || sent.ToPost != 1 || sent.Already != 0 || len(sent.ByPost) != 1 || sent.ByPost[0].Name != "Gaétan Bélanger" ||
			sent.ByPost[0].Address != "12, rue des Érables\nLongueuil (Québec) J4H 1A1" {
			t.Fatalf("send: got %+v, want 2 emails and Gaétan's letter", sent)
		}
		if n, err := worker.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("worker: got %d sent, %v", n, err)
		}
		msgs := srv.Wait(t, 2)
		byTo := map[string]mailtest.Message{}
		for _, m := range msgs {
			byTo[m.To[0]] = m
		}
		fr, en := byTo["emilie.cote@example.org"], byTo["john.oneil@example.org"]
		if fr.Subject != "Avis d’incident de confidentialité — Entraide Jeunesse Rive-Sud inc." || !strings.Contains(fr.Body, "Bonjour Émilie Côté,") ||
			!strings.Contains(fr.Body, "Identité et coordonnées, Santé et allergies des enfants") ||
			!strings.Contains(fr.Body, "du 26 février 2026 au 27 février 2026") || !strings.Contains(fr.Body, "Méfiez-vous des courriels") ||
			!strings.Contains(fr.Body, "vieprivee@entraide-jeunesse.example.org") || fr.Header.Get("Content-Language") != "fr" {
			t.Errorf("French notice:\n%s\n%s", fr.Subject, fr.Body)
		}
		if en.Subject != "Notice of a confidentiality incident — Entraide Jeunesse Rive-Sud inc." || !strings.Contains(en.Body, "Hello John O'Neil,") ||
			!strings.Contains(en.Body, "Identity and contact details, Children’s health and allergies") ||
			!strings.Contains(en.Body, "from February 26, 2026 to February 27, 2026") || !strings.Contains(en.Body, "Be wary of emails") {
			t.Errorf("English notice:\n%s\n%s", en.Subject, en.Body)
		}

		people, err := f.svc.People(ctx, f.auditor, f.a.ID, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, p := range people {
			states = append(states, fmt.Sprintf("%s:%s:%s", p.Name, p.Notice.Channel, p.Notice.State))
		}
		if got, want := strings.Join(states, " "), "Émilie Côté:email:sent John O'Neil:email:sent Gaétan Bélanger:post:to_post"; got != want {
			t.Errorf("deliveries: got %q, want %q", got, want)
		}
		if n, err := f.svc.MarkPosted(ctx, f.officer, f.a.ID, inc.ID, "2026-03-03"); err != nil || n != 1 {
			t.Fatalf("mark posted: got %d, %v", n, err)
		}
		again, err := f.svc.SendNotices(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil || again.Queued != 0 || again.ToPost != 0 || again.Already != 3 || len(again.ByPost) != 0 {
			t.Errorf("second send: got %+v, %v; want nothing new", again, err)
		}
		got, err := f.svc.Get(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := incident.Counts{Imported: 3, WithEmail: 2, Sent: 2, Posted: 1}
		if got.People != want || got.PersonsNotifiedAt == nil || !got.PersonsNotifiedAt.Equal(start) {
			t.Errorf("counts: got %+v notified %v, want %+v notified %v", got.People, got.PersonsNotifiedAt, want, start)
		}

		// Destroying the list keeps the counts and leaves no address in
		// the outbox.
		if err := f.svc.DestroyPeople(ctx, f.officer, f.a.ID, inc.ID); err != nil {
			t.Fatal(err)
		}
		if people, err := f.svc.People(ctx, f.officer, f.a.ID, inc.ID); err != nil || len(people) != 0 {
			t.Errorf("people after destruction: got %d, %v", len(people), err)
		}
		got, err = f.svc.Get(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		want.Destroyed = got.People.Destroyed
		if got.People != want || got.People.Destroyed == nil {
			t.Errorf("counts after destruction: got %+v, want %+v with a date", got.People, want)
		}
		outbox, err := f.db.Outbox(ctx, f.a.ID, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range outbox {
			full, err := f.db.OutboxMessage(ctx, f.a.ID, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if full.Kind == "incident.notice" && (full.To != "" || full.Text != "" || full.Status != mail.StatusSent) {
				t.Errorf("outbox message %d after destruction: got to %q, %d bytes of text, status %s", m.ID, full.To, len(full.Text), full.Status)
			}
		}
	})
}

// TestPersonNoticePreview writes the notice in both languages with a
// placeholder name.
func TestPersonNoticePreview(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		in := declaration()
		in.PersonNotice.Measures = inventory.Text{}
		inc, err := f.svc.Declare(ctx, f.staff, f.a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PersonNoticePreview(ctx, f.staff, f.a.ID, inc.ID, "en"); fields(err) != "person_notice.measures.en" {
			t.Errorf("preview without measures: got %q (%v)", fields(err), err)
		}
		inc, err = f.svc.Update(ctx, f.officer, f.a.ID, inc.ID, func(in *incident.Input) error {
			in.PersonNotice.Measures = inventory.Text{FR: "Nous avons changé les mots de passe.", EN: "We changed the passwords."}
			return nil
		}, "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.PersonNoticePreview(ctx, f.staff, f.a.ID, inc.ID, "fr")
		if err != nil || !strings.Contains(p.Text, "Bonjour [nom de la personne],") || !strings.Contains(p.Text, "Nous avons changé les mots de passe.") ||
			!strings.Contains(p.Text, "Référence de l’incident\u00a0: "+inc.Reference) {
			t.Errorf("French preview: got %+v, %v", p, err)
		}
	})
}
