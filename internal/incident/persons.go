package incident

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"strings"
	"text/template"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/inventory"
	pqmail "privaq/internal/mail"
)

// The notice to the people concerned (Reg-I 5) says, in the person's
// language: the personal information involved, the circumstances, the date
// or period, the measures taken or planned to reduce the risk, what the
// person can do, and whom to contact. The organization writes the texts
// (Details.PersonNotice); privaq adds the dates and the contact of the
// person in charge from the inventory.

//go:embed templates
var templateFS embed.FS

// frTypo gives the French templates their no-break spaces and apostrophes.
var frTypo = strings.NewReplacer("'", "’", " :", "\u00a0:", " ;", "\u00a0;", "« ", "«\u00a0", " »", "\u00a0»")

var mailTemplates = map[string]*template.Template{"fr": mustTemplate("fr"), "en": mustTemplate("en")}

func mustTemplate(lang string) *template.Template {
	src, err := templateFS.ReadFile("templates/" + lang + ".tmpl")
	if err != nil {
		panic("incident: " + err.Error())
	}
	text := string(src)
	if lang == "fr" {
		text = frTypo.Replace(text)
	}
	return template.Must(template.New(lang).Option("missingkey=error").Parse(text))
}

func execute(lang, name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := mailTemplates[Lang(lang)].ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("incident: template %s/%s: %w", lang, name, err)
	}
	return buf.String(), nil
}

// personNotice is the content of the notice in one language.
type personNotice struct {
	Org, Name, Reference                         string
	Information, Circumstances, Period, Measures string
	Advice, Contact                              string
}

// noticeFor builds the notice in lang, or lists every item it lacks.
func noticeFor(inc *Incident, doc *inventory.Document, lang string) (personNotice, error) {
	var p problems
	n := inc.PersonNotice
	pick := func(name string, t inventory.Text) string {
		s := t.FR
		if lang == "en" {
			s = t.EN
		}
		if s == "" {
			p.add("person_notice."+name+"."+lang, fmt.Sprintf("write the %s of the notice to the people concerned in %s", noticeNames[name], langName[lang]),
				fmt.Sprintf("Rédigez %s de l’avis aux personnes concernées en %s.", noticeNamesFR[name], langNameFR[lang]))
		}
		return s
	}
	pn := personNotice{Org: orgName(doc), Reference: inc.Reference, Period: inc.Period(lang)}
	if n.Information.IsZero() && len(inc.DataCategories) > 0 {
		pn.Information = strings.Join(categoryNames(inc.DataCategories, doc, lang), ", ")
	} else {
		pn.Information = pick("information", n.Information)
	}
	pn.Circumstances = pick("circumstances", n.Circumstances)
	pn.Measures = pick("measures", n.Measures)
	pn.Advice = pick("advice", n.Advice)
	pn.Contact = contact(doc.Officer)
	if pn.Contact == "" {
		p.add("contact", "the inventory has no contact for the person in charge of the protection of personal information",
			"L’inventaire n’a aucune coordonnée du responsable de la protection des renseignements personnels.")
	}
	return pn, p.err()
}

var (
	noticeNames   = map[string]string{"information": "personal information involved", "circumstances": "circumstances", "measures": "measures taken", "advice": "advice to the person"}
	noticeNamesFR = map[string]string{"information": "les renseignements visés", "circumstances": "les circonstances", "measures": "les mesures prises", "advice": "les conseils à la personne"}
	langName      = map[string]string{"fr": "French", "en": "English"}
	langNameFR    = map[string]string{"fr": "français", "en": "anglais"}
)

// orgName is the organization's legal name, or its name.
func orgName(doc *inventory.Document) string {
	if doc.Org.LegalName != "" {
		return doc.Org.LegalName
	}
	return doc.Org.Name
}

// contact writes the published contact of the person in charge: the
// notice to persons and the one to the Commission both give it.
func contact(o inventory.Officer) string {
	if o.Email == "" && o.Phone == "" && o.Address == "" {
		return ""
	}
	var lines []string
	who := strings.TrimSpace(strings.Join([]string{o.Name, o.Title}, ", "))
	if who = strings.Trim(who, ", "); who != "" {
		lines = append(lines, who)
	}
	for _, s := range []string{o.Email, o.Phone, o.Address} {
		if s != "" {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// message renders the notice for one person.
func (pn personNotice) message(org privaq.OrgID, id ID, p Person, lang string) (pqmail.Message, error) {
	pn.Name = p.Name
	subject, err := execute(lang, "person.subject", pn)
	if err != nil {
		return pqmail.Message{}, err
	}
	body, err := execute(lang, "person.body", pn)
	if err != nil {
		return pqmail.Message{}, err
	}
	return pqmail.Message{OrgID: org, Kind: "incident.notice", Ref: target(id), Lang: lang, To: p.Email, Subject: subject, Text: body}, nil
}

// Preview is the notice to the people concerned in one language, with a
// placeholder for the person's name.
type Preview struct {
	Lang    string `json:"lang"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// PersonNoticePreview writes the notice to the people concerned in lang,
// or lists what it lacks; it reads the incident and is recorded.
func (s *Service) PersonNoticePreview(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, lang string) (Preview, error) {
	if err := actor.Require(org, privaq.PermIncidentRead); err != nil {
		return Preview{}, err
	}
	lang = Lang(lang)
	inc, err := s.get(ctx, org, id)
	if err != nil {
		return Preview{}, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return Preview{}, err
	}
	pn, err := noticeFor(&inc, doc, lang)
	if err != nil {
		return Preview{}, err
	}
	name := map[string]string{"fr": "[nom de la personne]", "en": "[name of the person]"}[lang]
	m, err := pn.message(org, id, Person{Name: name}, lang)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Lang: lang, Subject: m.Subject, Text: m.Text},
		s.Store.AppendAudit(ctx, audit.New(actor, "incident.notice.preview", target(id), map[string]any{"lang": lang}))
}

// SendNotices queues the notice to every person concerned who has none yet:
// an email in the person's language for those with an address, and a
// letter to post for the others, who are listed. Only an incident assessed
// serious is notified, and only with every item of the notice written in
// each language needed.
func (s *Service) SendNotices(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID) (Sent, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return Sent{}, err
	}
	doc, _, err := s.Inventory.Inventory(ctx, org)
	if err != nil {
		return Sent{}, err
	}
	now := s.now()
	notices := map[string]personNotice{}
	sent, err := s.Store.SendNotices(ctx, org, id, now, audit.New(actor, "incident.notices.send", target(id), nil),
		func(inc *Incident, pending []Person) (HistoryEntry, error) {
			if inc.Serious == nil || !*inc.Serious {
				return HistoryEntry{}, &privaq.Error{Code: privaq.EConflict, Message: "the incident is not assessed as presenting a risk of serious injury: no notice is due",
					FR: "L’incident n’est pas évalué comme présentant un risque de préjudice sérieux : aucun avis n’est dû."}
			}
			var all problems
			emails, letters := 0, 0
			for _, p := range pending {
				if _, ok := notices[p.Lang]; !ok {
					pn, err := noticeFor(inc, doc, p.Lang)
					if err != nil {
						all = append(all, privaq.ValidationErrors(errorList(err))...)
					}
					notices[p.Lang] = pn
				}
				if p.Email != "" {
					emails++
				} else {
					letters++
				}
			}
			if err := all.err(); err != nil {
				return HistoryEntry{}, err
			}
			if emails > 0 && inc.PersonsNotifiedAt == nil {
				inc.PersonsNotifiedAt = &now
			}
			inc.UpdatedAt = now
			return HistoryEntry{At: now, Actor: actor, Action: "notices_sent", Counts: map[string]int{"emails": emails, "letters": letters}}, nil
		},
		func(p Person) (pqmail.Message, error) { return notices[p.Lang].message(org, id, p, p.Lang) })
	if err == nil && sent.Queued > 0 {
		s.wake()
	}
	return sent, err
}

// errorList flattens an error into its field errors.
func errorList(err error) privaq.ValidationErrors {
	if v, ok := err.(privaq.ValidationErrors); ok {
		return v
	}
	if e, ok := err.(*privaq.Error); ok {
		return privaq.ValidationErrors{e}
	}
	return privaq.ValidationErrors{{Code: privaq.EInternal, Message: "internal error", Err: err}}
}

// MarkPosted records that the letters listed for the people without an
// email address were posted, at the date given ("" for now).
func (s *Service) MarkPosted(ctx context.Context, actor privaq.Actor, org privaq.OrgID, id ID, date string) (int, error) {
	if err := actor.Require(org, privaq.PermIncidentManage); err != nil {
		return 0, err
	}
	now := s.now()
	var p problems
	at := p.when("posted_at", date)
	if at == nil {
		at = &now
	}
	p.notFuture("posted_at", at, now)
	if err := p.err(); err != nil {
		return 0, err
	}
	h := HistoryEntry{At: now, Actor: actor, Action: "letters_posted"}
	return s.Store.MarkPosted(ctx, org, id, *at, h, audit.New(actor, "incident.notices.posted", target(id), nil))
}
