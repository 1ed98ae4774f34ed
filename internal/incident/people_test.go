package incident_test

import (
	"fmt"
	"strings"
	"testing"

	"privaq"
	"privaq/internal/incident"
)

// tenThousand is a list of 10,000 people; bad maps a line number (the
// header is line 1) to the row written there instead.
func tenThousand(bad map[int]string) []byte {
	var b strings.Builder
	b.WriteString("name,email,address,lang\n")
	for i := range incident.MaxPeople {
		line := i + 2
		if row, ok := bad[line]; ok {
			b.WriteString(row + "\n")
			continue
		}
		lang := "fr"
		if i%3 == 0 {
			lang = "en"
		}
		email := fmt.Sprintf("parent%05d@example.org", i)
		if i%10 == 0 {
			email = "" // a letter by post
		}
		fmt.Fprintf(&b, "Parent n° %d Lévesque,%s,\"%d, rue Saint-Éloi, Longueuil\",%s\n", i, email, i, lang)
	}
	return []byte(b.String())
}

// TestImportTenThousand imports 10,000 people: a file with bad rows is
// refused whole, naming every bad line; the corrected file goes in whole.
func TestImportTenThousand(t *testing.T) {
	each(t, func(t *testing.T, f *fixture) {
		inc := f.declare(t)
		bad := map[int]string{
			17:   `Ginette Paré,ginette@@example.org,,fr`,
			4242: `,sans.nom@example.org,,fr`,
			9001: `Trop,de,valeurs,fr,encore`,
			9999: `Hans Müller,hans@example.org,,de`,
		}
		_, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, tenThousand(bad))
		list := errorList(err)
		if len(list) != 5 || list[0].Field != "csv" || !strings.Contains(list[0].Message, "4 lines are not valid: nothing was imported") {
			t.Fatalf("bad file: got %d problems (%v), want a summary and 4 lines", len(list), err)
		}
		for i, want := range []string{"line[17].email", "line[4242].name", "line[9001]", "line[9999].lang"} {
			if got := list[i+1].Field; got != want {
				t.Errorf("problem %d: got field %q, want %q (%s)", i+1, got, want, list[i+1].Message)
			}
		}
		if !strings.HasPrefix(list[1].Message, "line 17: ") || !strings.HasPrefix(list[1].FR, "Ligne 17\u00a0: ") {
			t.Errorf("line problem: got %q / %q, want the line number first", list[1].Message, list[1].FR)
		}
		if people, err := f.svc.People(ctx, f.officer, f.a.ID, inc.ID); err != nil || len(people) != 0 {
			t.Fatalf("after a refused file: got %d people, %v; want none", len(people), err)
		}

		n, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, tenThousand(nil))
		if err != nil || n != incident.MaxPeople {
			t.Fatalf("good file: got %d, %v", n, err)
		}
		people, err := f.svc.People(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil || len(people) != incident.MaxPeople {
			t.Fatalf("people: got %d, %v", len(people), err)
		}
		if p := people[9999]; p.Line != 10001 || p.Name != "Parent n° 9999 Lévesque" || p.Address != "9999, rue Saint-Éloi, Longueuil" || p.Lang != "en" {
			t.Errorf("last person: got %+v", p)
		}
		got, err := f.svc.Get(ctx, f.officer, f.a.ID, inc.ID)
		if err != nil || got.People.Imported != 10000 || got.People.WithEmail != 9000 {
			t.Errorf("counts: got %+v, %v; want 10000 with 9000 emails", got.People, err)
		}

		over := append(tenThousand(nil), []byte("Une de trop,trop@example.org,,fr\n")...)
		if _, err := f.svc.ImportPeople(ctx, f.officer, f.a.ID, inc.ID, over); fields(err) != "csv" || !strings.Contains(err.Error(), "more than 10000") {
			t.Errorf("10,001 people: got %v, want a refusal of the file", err)
		}
	})
}

// TestParsePeople covers the shapes of files people export from their
// spreadsheets.
func TestParsePeople(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		want      string // name|email|lang per person, or the fields of the error
	}{
		{"french header and semicolons", "\ufeffNom;Courriel;Langue\r\nÉloïse;eloise@example.org;FR\r\nBob;;anglais\r\n", "Éloïse|eloise@example.org|fr Bob||en"},
		{"default language", "name\nAnne\n", "Anne||fr"},
		{"unknown column", "name,phone\nAnne,555\n", "line[1]"},
		{"no name column", "email\na@example.org\n", "line[1]"},
		{"twice the same column", "name,nom\nA,B\n", "line[1]"},
		{"empty file", "", "csv"},
		{"header only", "name,email\n", "csv"},
		{"open quote", "name,email\n\"Anne,a@example.org\n", "csv,line[2]"},
		{"control character", "name\nAn\x01ne\n", "csv,line[2].name"},
		{"display name in email", "name,email\nAnne,Anne <a@example.org>\n", "csv,line[2].email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			people, err := incident.ParsePeople([]byte(tc.csv), "fr")
			var got string
			if err != nil {
				got = fields(err)
			} else {
				var parts []string
				for _, p := range people {
					parts = append(parts, p.Name+"|"+p.Email+"|"+p.Lang)
				}
				got = strings.Join(parts, " ")
			}
			if got != tc.want {
				t.Errorf("got %q (%v), want %q", got, err, tc.want)
			}
			if err != nil && !privaq.IsCode(err, privaq.EValidation) {
				t.Errorf("code: got %s, want validation_failed", privaq.ErrorCode(err))
			}
		})
	}
}

// FuzzParsePeople feeds the CSV reader arbitrary files: it must answer
// people or a validation error, never panic, and never return a person
// without a name.
func FuzzParsePeople(f *testing.F) {
	f.Add([]byte(threePeople))
	f.Add([]byte("name,email\n\"a\"\"b\",x@y.z\n"))
	f.Add([]byte("nom;courriel\n;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		people, err := incident.ParsePeople(data, "fr")
		if err != nil {
			if !privaq.IsCode(err, privaq.EValidation) {
				t.Fatalf("got %v, want a validation error", err)
			}
			return
		}
		for _, p := range people {
			if p.Name == "" || (p.Lang != "fr" && p.Lang != "en") {
				t.Fatalf("got person %+v", p)
			}
		}
	})
}
