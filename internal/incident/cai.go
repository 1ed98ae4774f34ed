package incident

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	"privaq/internal/pdfdoc"
)

// The notice to the Commission d'accès à l'information holds the eleven
// items of section 3 of the incidents regulation. privaq writes it as text
// to paste into the Commission's form and as a PDF, and refuses to write it
// while a required item is blank: a notice with a hole is not a notice.

// Item is one item of the notice: its paragraph in Reg-I s. 3, what it
// asks, and the organization's answer.
type Item struct {
	N     int    `json:"item"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// CAINotice is the notice to the Commission about one incident.
type CAINotice struct {
	Lang      string    `json:"lang"`
	Title     string    `json:"title"`
	Org       string    `json:"org"`
	Reference string    `json:"reference"`
	Prepared  time.Time `json:"prepared_at"`
	Items     []Item    `json:"items"`
}

var caiLabels = map[string][]string{
	"fr": {
		"Nom de l'organisation et, le cas échéant, son numéro d'entreprise du Québec (NEQ)",
		"Nom et coordonnées de la personne à joindre au sujet de l'incident",
		"Description des renseignements personnels visés par l'incident ou, si cette information n'est pas connue, la raison qui justifie l'impossibilité de fournir une telle description",
		"Brève description des circonstances de l'incident et, si elle est connue, de sa cause",
		"Date ou période où l'incident a eu lieu ou, si cette dernière n'est pas connue, une approximation de cette période",
		"Date ou période au cours de laquelle l'organisation a pris connaissance de l'incident",
		"Nombre de personnes concernées par l'incident et nombre de celles qui résident au Québec ou, s'ils ne sont pas connus, une approximation de ces nombres",
		"Description des éléments qui amènent l'organisation à conclure qu'il existe un risque qu'un préjudice sérieux soit causé aux personnes concernées",
		"Mesures que l'organisation a prises ou entend prendre afin d'aviser les personnes concernées, et date ou période où ces mesures ont été prises ou le seront",
		"Mesures que l'organisation a prises ou entend prendre à la suite de l'incident afin de diminuer les risques qu'un préjudice soit causé",
		"Le cas échéant, personnes ou organismes avisés de l'incident, dont ceux hors du Québec",
	},
	"en": {
		"Name of the organization and, if any, its Québec business number (NEQ)",
		"Name and contact information of the person to contact about the incident",
		"Description of the personal information involved or, if it is not known, the reason why it cannot be described",
		"Brief description of the circumstances of the incident and, if known, its cause",
		"Date or period when the incident occurred or, if not known, an approximation",
		"Date or period when the organization became aware of the incident",
		"Number of persons concerned and number of them who reside in Québec or, if not known, an approximation",
		"Description of the elements that lead the organization to conclude that there is a risk of serious injury to the persons concerned",
		"Measures the organization has taken or intends to take to notify the persons concerned, and when",
		"Measures the organization has taken or intends to take following the incident to reduce the risk of injury",
		"If applicable, the persons or bodies notified of the incident, including those outside Québec",
	},
}

var caiTitle = map[string]string{
	"fr": "Avis à la Commission d'accès à l'information — incident de confidentialité",
	"en": "Notice to the Commission d'accès à l'information — confidentiality incident",
}

// CAINotice writes the notice to the Commission about an incident, or lists
// the required items that are blank; it reads the incident and is
// recorded.
func (s *Service) CAINotice(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, lang string) (*CAINotice, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return nil, err
	}
	inc, err := s.get(ctx, org, id)
	if err != nil {
		return nil, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return nil, err
	}
	set, err := s.Store.IncidentSettings(ctx, org)
	if err != nil {
		return nil, err
	}
	n, err := caiNotice(&inc, doc, set, Lang(lang), s.now())
	if err != nil {
		return nil, err
	}
	return n, s.Store.AppendAudit(ctx, audit.New(actor, "incident.notice.cai", target(id), map[string]any{"lang": n.Lang}))
}

func caiNotice(inc *Incident, doc *inventory.Document, set Settings, lang string, now time.Time) (*CAINotice, error) {
	var p problems
	missing := func(item int, field, en, fr string) {
		p.add(field, fmt.Sprintf("item %d of the notice (Reg-I s. 3): %s", item, en), fmt.Sprintf("Élément %d de l’avis (Règlement, art. 3) : %s", item, fr))
	}
	v := make([]string, 11)
	v[0] = orgName(doc)
	if set.NEQ != "" {
		v[0] += " (NEQ " + set.NEQ + ")"
	}
	if v[1] = contact(doc.Officer); v[1] == "" {
		missing(2, "contact", "record the contact of the person in charge in the inventory", "inscrivez les coordonnées du responsable dans l’inventaire.")
	}
	if v[2] = inc.InformationText(doc, lang); v[2] == "" {
		missing(3, "data_categories", "name the personal information involved, or why it is not known", "précisez les renseignements visés, ou pourquoi ils ne sont pas connus.")
	}
	if v[3] = inc.Description; v[3] == "" {
		missing(4, "description", "describe the circumstances", "décrivez les circonstances.")
	} else if inc.Cause != "" {
		v[3] += "\n" + say(lang, "cause", inc.Cause)
	}
	v[4] = inc.Period(lang)
	v[5] = FormatDate(inc.DiscoveredAt, lang)
	switch {
	case inc.PeopleCount == nil:
		missing(7, "people_count", "give the number of people concerned, or an estimate", "indiquez le nombre de personnes concernées, ou une estimation.")
	case inc.PeopleInQuebec == nil:
		missing(7, "people_in_quebec", "give how many of them live in Quebec, or an estimate", "indiquez combien résident au Québec, ou une estimation.")
	default:
		v[6] = inc.PeopleText(lang)
	}
	switch a := latest(inc.Assessments); {
	case a == nil:
		missing(8, "assessment", "assess the risk of serious injury", "évaluez le risque de préjudice sérieux.")
	case !a.Serious:
		missing(8, "assessment", "the latest assessment finds no risk of serious injury: no notice is due", "la dernière évaluation ne conclut pas à un risque de préjudice sérieux : aucun avis n’est dû.")
	default:
		v[7] = a.Text(lang)
	}
	var notify []string
	if inc.PersonsNotifiedAt != nil {
		notify = append(notify, say(lang, "persons.sent", FormatDate(*inc.PersonsNotifiedAt, lang), inc.People.Queued+inc.People.Sent+inc.People.Failed,
			inc.People.ToPost+inc.People.Posted))
	}
	if inc.PublicNoticeAt != nil {
		notify = append(notify, say(lang, "public.yes", FormatDate(*inc.PublicNoticeAt, lang), inc.PublicNoticeReason))
	}
	if inc.NotificationPlan != "" {
		notify = append(notify, inc.NotificationPlan)
	}
	if v[8] = strings.Join(notify, "\n"); v[8] == "" {
		missing(9, "notification_plan", "say how and when the people concerned are or will be notified", "indiquez comment et quand les personnes concernées sont ou seront avisées.")
	}
	if v[9] = inc.Measures; v[9] == "" {
		missing(10, "measures", "describe the measures taken or planned to reduce the risk", "décrivez les mesures prises ou prévues pour diminuer le risque.")
	}
	var others []string
	if inc.OthersNotified != "" {
		others = append(others, inc.OthersNotified)
	}
	for _, d := range inc.Disclosures {
		others = append(others, say(lang, "disclosure", d.Recipient, FormatDate(d.At, lang), d.Information, d.Reason))
	}
	v[10] = strings.Join(others, "\n")
	if v[10] == "" {
		v[10] = map[string]string{"fr": "Aucun", "en": "None"}[lang]
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	n := &CAINotice{Lang: lang, Title: caiTitle[lang], Org: orgName(doc), Reference: inc.Reference, Prepared: now}
	for i, label := range caiLabels[lang] {
		if lang == "fr" {
			label = frTypo.Replace(label)
		}
		n.Items = append(n.Items, Item{N: i + 1, Label: label, Value: v[i]})
	}
	return n, nil
}

// latest is the most recent assessment, or nil.
func latest(as []Assessment) *Assessment {
	if len(as) == 0 {
		return nil
	}
	return &as[len(as)-1]
}

func (n *CAINotice) subtitle() string {
	if n.Lang == "fr" {
		return fmt.Sprintf("Règlement sur les incidents de confidentialité, article 3 — %s — incident %s — préparé le %s", n.Org, n.Reference, FormatDate(n.Prepared, "fr"))
	}
	return fmt.Sprintf("Regulation respecting confidentiality incidents, section 3 — %s — incident %s — prepared on %s", n.Org, n.Reference, FormatDate(n.Prepared, "en"))
}

// Text writes the notice as plain text, item by item, to paste into the
// Commission's form.
func (n *CAINotice) Text() string {
	var b strings.Builder
	b.WriteString(frTypoIf(n.Lang, n.Title) + "\n" + n.subtitle() + "\n")
	for _, it := range n.Items {
		fmt.Fprintf(&b, "\n%d. %s\n%s\n", it.N, it.Label, it.Value)
	}
	return b.String()
}

func frTypoIf(lang, s string) string {
	if lang == "fr" {
		return frTypo.Replace(s)
	}
	return s
}

// PDF writes the notice as an A4 PDF.
func (n *CAINotice) PDF(w io.Writer) error {
	d, err := pdfdoc.New()
	if err != nil {
		return err
	}
	title := frTypoIf(n.Lang, n.Title)
	d.Text(pdfdoc.Plain(title, true), pdfdoc.MarginX, pdfdoc.StyleTitle, pdfdoc.InkText, 0)
	d.Gap(2)
	d.Text(pdfdoc.Plain(n.subtitle(), false), pdfdoc.MarginX, pdfdoc.StyleBody, pdfdoc.InkMuted, 0)
	d.Gap(8)
	for _, it := range n.Items {
		d.Heading(pdfdoc.Plain(fmt.Sprintf("%d. %s", it.N, it.Label), true))
		for _, para := range strings.Split(it.Value, "\n") {
			d.Paragraph(pdfdoc.Plain(para, false), 0)
		}
	}
	var buf bytes.Buffer
	if err := d.Write(&buf, pdfdoc.Info{Title: title, Author: n.Org, Created: n.Prepared, Footer: footer(n.Lang)}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func footer(lang string) string {
	if lang == "fr" {
		return "Page %d sur %d"
	}
	return "Page %d of %d"
}
