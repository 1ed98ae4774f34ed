package incident

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/pdfdoc"
)

// The register of confidentiality incidents holds, for every incident, the
// items of section 7 of the incidents regulation; the organization hands
// it to the Commission on request. The export has exactly those items, in
// the regulation's order, after the incident's reference that identifies
// each row. docs/incidents.md maps each column to its paragraph.

// Column is one field of the register.
type Column struct {
	Key  string
	Item int // paragraph of Reg-I s. 7; 0 for the reference
	fr   string
	en   string
}

// Label names the column in lang.
func (c Column) Label(lang string) string {
	if Lang(lang) == "en" {
		return c.en
	}
	return frTypo.Replace(c.fr)
}

// Columns are the register's fields, in order.
var Columns = []Column{
	{"reference", 0, "Référence", "Reference"},
	{"personal_information", 1, "Renseignements personnels visés (ou raison pour laquelle ils ne sont pas connus)", "Personal information involved (or why it is not known)"},
	{"circumstances", 2, "Description des circonstances", "Circumstances"},
	{"occurred", 3, "Date ou période de l'incident", "Date or period of the incident"},
	{"discovered", 4, "Date ou période de la prise de connaissance", "Date or period the organization became aware"},
	{"people", 5, "Nombre de personnes concernées", "Number of persons concerned"},
	{"serious_risk", 6, "Risque de préjudice sérieux", "Risk of serious injury"},
	{"risk_assessment", 6, "Éléments de l'évaluation du risque de préjudice sérieux", "Elements of the assessment of the risk of serious injury"},
	{"cai_notice", 7, "Date de l'avis à la Commission", "Date of the notice to the Commission"},
	{"persons_notice", 7, "Date des avis aux personnes concernées", "Date of the notices to the persons concerned"},
	{"public_notice", 7, "Avis public et motif", "Public notice and reason"},
	{"measures", 8, "Mesures prises pour diminuer le risque de préjudice", "Measures taken to reduce the risk of injury"},
}

// Register is the exported register.
type Register struct {
	Lang     string
	Org      string
	Prepared time.Time
	Rows     [][]string // one per incident, in the order of Columns
}

// Register exports the register in lang: every incident, oldest first, with
// the fields of Reg-I s. 7. It reads every incident and is recorded.
func (s *Service) Register(ctx context.Context, actor privaq.Actor, org privaq.OrgID, lang string) (*Register, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return nil, err
	}
	lang = Lang(lang)
	incs, err := s.Store.Register(ctx, org)
	if err != nil {
		return nil, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return nil, err
	}
	r := &Register{Lang: lang, Org: orgName(doc), Prepared: s.now()}
	for i := range incs {
		r.Rows = append(r.Rows, registerRow(&incs[i], doc, lang))
	}
	return r, s.Store.AppendAudit(ctx, audit.New(actor, "incident.export", "incidents", map[string]any{"count": len(incs), "lang": lang}))
}

func registerRow(inc *Incident, doc *inventory.Document, lang string) []string {
	serious, grounds := inc.SeriousText(lang), ""
	if a := latest(inc.Assessments); a != nil {
		grounds = a.Text(lang)
	}
	cai, persons, public := formatOpt(inc.CAINotifiedAt, lang), formatOpt(inc.PersonsNotifiedAt, lang), say(lang, "public.no")
	if inc.PublicNoticeAt != nil {
		public = say(lang, "public.yes", FormatDate(*inc.PublicNoticeAt, lang), inc.PublicNoticeReason)
	}
	if inc.Serious != nil && !*inc.Serious {
		// Item 7 asks for the notices only when the risk is serious.
		na := say(lang, "not_applicable")
		cai, persons, public = na, na, na
	}
	circumstances := inc.Description
	if inc.Cause != "" {
		circumstances += "\n" + say(lang, "cause", inc.Cause)
	}
	return []string{inc.Reference, inc.InformationText(doc, lang), circumstances, inc.Period(lang), FormatDate(inc.DiscoveredAt, lang),
		inc.PeopleText(lang), serious, grounds, cai, persons, public, inc.Measures}
}

// CSV writes the register with a header row of the columns' labels.
func (r *Register) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(Columns))
	for i, c := range Columns {
		head[i] = c.Label(r.Lang)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range r.Rows {
		out := make([]string, len(row))
		for i, v := range row {
			out[i] = cell(v)
		}
		if err := cw.Write(out); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from reading free text as a formula (CSV
// injection): a value starting with = + - @ or a tab or carriage return
// gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var registerTitle = map[string]string{
	"fr": "Registre des incidents de confidentialité",
	"en": "Register of confidentiality incidents",
}

// PDF writes the register as an A4 PDF: one table per incident, the field
// and its paragraph of the regulation beside the value, the header row
// repeated when a table runs over a page.
func (r *Register) PDF(w io.Writer) error {
	d, err := pdfdoc.New()
	if err != nil {
		return err
	}
	d.Runs = pdfdoc.Multiline
	title := registerTitle[r.Lang] + " — " + r.Org
	d.Text(pdfdoc.Plain(frTypoIf(r.Lang, title), true), pdfdoc.MarginX, pdfdoc.StyleTitle, pdfdoc.InkText, 0)
	d.Gap(2)
	sub := fmt.Sprintf("Règlement sur les incidents de confidentialité, article 7 — préparé le %s — %d incident(s)", FormatDate(r.Prepared, "fr"), len(r.Rows))
	head := []string{"Champ (art. 7)", "Valeur"}
	if r.Lang == "en" {
		sub = fmt.Sprintf("Regulation respecting confidentiality incidents, section 7 — prepared on %s — %d incident(s)", FormatDate(r.Prepared, "en"), len(r.Rows))
		head = []string{"Field (s. 7)", "Value"}
	}
	d.Text(pdfdoc.Plain(sub, false), pdfdoc.MarginX, pdfdoc.StyleBody, pdfdoc.InkMuted, 0)
	d.Gap(8)
	for _, row := range r.Rows {
		t := &pdfdoc.Table{Caption: row[0], Head: head, RowHeads: true}
		for i, c := range Columns[1:] {
			t.Rows = append(t.Rows, []string{fmt.Sprintf("%s (%d°)", c.Label(r.Lang), c.Item), row[i+1]})
		}
		d.Table(t)
	}
	var buf bytes.Buffer
	if err := d.Write(&buf, pdfdoc.Info{Title: registerTitle[r.Lang], Author: r.Org, Created: r.Prepared, Footer: footer(r.Lang)}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
