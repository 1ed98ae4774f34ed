package incident

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"privaq"
	"privaq/internal/audit"
)

// The list of people concerned comes as a CSV file, the format every
// spreadsheet writes: a header row naming the columns (name, email,
// address, lang, in English or French, in any order), then one person per
// row. A file with any bad row is refused whole, naming each bad line, so
// that a list is never half imported.

// MaxPeople is the most people one file may list.
const MaxPeople = 10_000

// maxProblems bounds the line errors reported for one file.
const maxProblems = 100

// columns maps the header names people use to the column they mean.
var columns = map[string]string{
	"name": "name", "nom": "name", "full name": "name", "nom complet": "name",
	"email": "email", "e-mail": "email", "courriel": "email", "adresse courriel": "email",
	"address": "address", "adresse": "address", "postal address": "address", "adresse postale": "address",
	"lang": "lang", "language": "lang", "langue": "lang",
}

// ParsePeople reads a CSV list of people concerned. People without a
// language get def. Comma and semicolon separators are both read (French
// spreadsheets write semicolons), and a UTF-8 byte-order mark is skipped.
func ParsePeople(data []byte, def string) ([]Person, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // a short or long row is reported with its line, not as the end of the file
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, csvProblem(err, "the file is empty: the first row names the columns (name, email, address, lang)",
			"Le fichier est vide : la première ligne nomme les colonnes (nom, courriel, adresse, langue).")
	}
	idx := map[string]int{}
	var p problems
	for i, h := range head {
		col, ok := columns[strings.ToLower(strings.TrimSpace(h))]
		switch {
		case !ok:
			p.add("line[1]", fmt.Sprintf("line 1: unknown column %q: use name, email, address and lang", h),
				fmt.Sprintf("Ligne 1 : colonne « %s » inconnue : utilisez nom, courriel, adresse et langue.", h))
		case idxHas(idx, col):
			p.add("line[1]", fmt.Sprintf("line 1: column %q appears twice", h), fmt.Sprintf("Ligne 1 : la colonne « %s » figure deux fois.", h))
		default:
			idx[col] = i
		}
	}
	if !idxHas(idx, "name") {
		p.add("line[1]", "line 1: the header row must name a name column (name or nom)", "Ligne 1 : l’en-tête doit nommer une colonne nom (name ou nom).")
	}
	if len(p) > 0 {
		return nil, p.err()
	}
	var out []Person
	bad := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			bad++
			p.add(fmt.Sprintf("line[%d]", line), fmt.Sprintf("line %d: the row is not valid CSV (a quote is not closed or is misplaced); the rest of the file was not read", line),
				fmt.Sprintf("Ligne %d : la rangée n’est pas du CSV valide (guillemet non fermé ou mal placé) ; la suite du fichier n’a pas été lue.", line))
			break
		}
		line, _ := r.FieldPos(0)
		if len(out)+bad >= MaxPeople {
			return nil, &privaq.Error{Code: privaq.EValidation, Field: "csv", Message: fmt.Sprintf("the file lists more than %d people: split it", MaxPeople),
				FR: fmt.Sprintf("Le fichier compte plus de %d personnes : divisez-le.", MaxPeople)}
		}
		if len(rec) != len(head) {
			bad++
			p.add(fmt.Sprintf("line[%d]", line), fmt.Sprintf("line %d: %d values for %d columns", line, len(rec), len(head)),
				fmt.Sprintf("Ligne %d : %d valeurs pour %d colonnes.", line, len(rec), len(head)))
			continue
		}
		get := func(col string) string {
			if i, ok := idx[col]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		person := Person{Line: line, Name: get("name"), Email: get("email"), Address: get("address"), Lang: def}
		n := len(p)
		p.person(line, &person, get("lang"))
		if len(p) > n {
			bad++
			continue
		}
		out = append(out, person)
	}
	if bad > 0 {
		if len(p) > maxProblems {
			p = p[:maxProblems]
		}
		summary := &privaq.Error{Code: privaq.EValidation, Field: "csv",
			Message: fmt.Sprintf("%d lines are not valid: nothing was imported; correct them and send the whole file again", bad),
			FR:      fmt.Sprintf("%d lignes ne sont pas valides : rien n’a été importé ; corrigez-les et envoyez de nouveau tout le fichier.", bad)}
		if bad == 1 {
			summary.Message = "1 line is not valid: nothing was imported; correct it and send the whole file again"
			summary.FR = "1 ligne n’est pas valide : rien n’a été importé ; corrigez-la et envoyez de nouveau tout le fichier."
		}
		return nil, append(privaq.ValidationErrors{summary}, p...)
	}
	if len(out) == 0 {
		return nil, &privaq.Error{Code: privaq.EValidation, Field: "csv", Message: "the file lists nobody under its header row",
			FR: "Le fichier ne compte personne sous sa ligne d’en-tête."}
	}
	return out, nil
}

func idxHas(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// person checks one row.
func (p *problems) person(line int, x *Person, lang string) {
	at := func(col string) string { return fmt.Sprintf("line[%d].%s", line, col) }
	if x.Name == "" {
		p.add(at("name"), fmt.Sprintf("line %d: the name is empty", line), fmt.Sprintf("Ligne %d : le nom est vide.", line))
	} else {
		n := len(*p)
		p.text(at("name"), x.Name, maxLine, false)
		p.prefix(n, line)
	}
	if x.Email != "" {
		a, err := mail.ParseAddress(x.Email)
		if err != nil || a.Name != "" || a.Address != x.Email || len(x.Email) > 254 {
			p.add(at("email"), fmt.Sprintf("line %d: %q is not an email address", line, x.Email),
				fmt.Sprintf("Ligne %d : « %s » n’est pas une adresse courriel.", line, x.Email))
		}
	}
	n := len(*p)
	p.text(at("address"), x.Address, 1000, true)
	p.prefix(n, line)
	if lang != "" {
		l, _, _ := strings.Cut(strings.ToLower(lang), "-")
		switch l {
		case "fr", "français", "francais", "french":
			x.Lang = "fr"
		case "en", "anglais", "english":
			x.Lang = "en"
		default:
			p.add(at("lang"), fmt.Sprintf("line %d: language %q: use fr or en", line, lang),
				fmt.Sprintf("Ligne %d : langue « %s » : utilisez fr ou en.", line, lang))
		}
	}
}

// prefix adds the line number to the problems found since the n-th.
func (p problems) prefix(n, line int) {
	for _, e := range p[n:] {
		e.Message = fmt.Sprintf("line %d: %s", line, e.Message)
		e.FR = fmt.Sprintf("Ligne %d\u00a0: %s", line, e.FR)
	}
}

func csvProblem(err error, en, fr string) error {
	if err == io.EOF {
		return &privaq.Error{Code: privaq.EValidation, Field: "csv", Message: en, FR: fr}
	}
	return &privaq.Error{Code: privaq.EValidation, Field: "line[1]", Message: "line 1: the header row is not valid CSV",
		FR: "Ligne 1 : la ligne d’en-tête n’est pas du CSV valide.", Err: err}
}

// ImportPeople adds the people a CSV file lists to the incident's list;
// nothing is added when any row is bad.
func (s *Service) ImportPeople(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, data []byte) (int, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return 0, err
	}
	people, err := ParsePeople(data, "fr")
	if err != nil {
		return 0, err
	}
	withEmail := 0
	for _, x := range people {
		if x.Email != "" {
			withEmail++
		}
	}
	counts := map[string]int{"people": len(people), "with_email": withEmail}
	h := HistoryEntry{At: s.now(), Actor: actor, Action: "people_imported", Counts: counts}
	err = s.Store.AddPeople(ctx, org, id, people, h, audit.New(actor, "incident.people.import", target(id), map[string]any{"people": len(people)}))
	return len(people), err
}

// People returns the people concerned and where each one's notice stands;
// it is a read of personal information and is recorded.
func (s *Service) People(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID) ([]Person, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return nil, err
	}
	people, err := s.Store.People(ctx, org, id)
	if err != nil {
		return nil, err
	}
	return people, s.Store.AppendAudit(ctx, audit.New(actor, "incident.people.read", target(id), map[string]any{"people": len(people)}))
}

// DestroyPeople erases the list of people concerned on request, keeping
// only the counts; it waits for the emails still in the outbox, which
// would otherwise go out to no one.
func (s *Service) DestroyPeople(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID) error {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return err
	}
	h := HistoryEntry{At: s.now(), Actor: actor, Action: "people_destroyed"}
	return s.Store.DestroyPeople(ctx, org, id, h, audit.New(actor, "incident.people.destroy", target(id), nil), func(inc Incident) error {
		if inc.People.Queued > 0 {
			return &privaq.Error{Code: privaq.EConflict, Message: fmt.Sprintf("%d notices are still waiting in the outbox: destroy the list once they are sent", inc.People.Queued),
				FR: fmt.Sprintf("%d avis attendent encore dans la file d’envoi : détruisez la liste une fois qu’ils sont partis.", inc.People.Queued)}
		}
		return nil
	})
}
