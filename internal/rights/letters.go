package rights

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	pqmail "privaq/internal/mail"
	"privaq/internal/pdfdoc"
)

// The letters privaq writes in the organization's name: our own wording,
// in French and English, from templates/. Each letter is kept in the
// request's file and, when the requester gave an email address, sent
// through the outbox.

//go:embed templates
var templateFS embed.FS

// frTypo gives the French templates their no-break spaces and apostrophes.
var frTypo = strings.NewReplacer("'", "’", " :", "\u00a0:", " ;", "\u00a0;", " ?", "\u00a0?", " !", "\u00a0!", "« ", "«\u00a0", " »", "\u00a0»")

var letterTemplates = map[string]*template.Template{"fr": mustTemplate("fr"), "en": mustTemplate("en")}

func mustTemplate(lang string) *template.Template {
	src, err := templateFS.ReadFile("templates/" + lang + ".tmpl")
	if err != nil {
		panic("rights: " + err.Error())
	}
	text := string(src)
	if lang == "fr" {
		// URLs keep their colon: only " :" with a space before is touched.
		text = frTypo.Replace(text)
	}
	return template.Must(template.New(lang).Option("missingkey=error").Funcs(template.FuncMap{"de": de}).Parse(text))
}

// de writes « de » before a name, elided before a vowel or a mute h
// (« d’Entraide Jeunesse », « de Chez Marie »).
func de(name string) string {
	r, _ := utf8.DecodeRuneInString(strings.ToLower(name))
	if strings.ContainsRune("aàâäeéèêëiîïoôöuùûüyh", r) {
		return "d’" + name
	}
	return "de " + name
}

func execute(lang, name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := letterTemplates[lang].ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("rights: template %s/%s: %w", lang, name, err)
	}
	return buf.String(), nil
}

// letterData is what a letter's template may say beyond the request.
type letterData struct {
	StatusToken string
	Reason      string
	Question    string
}

var typeNames = map[string]map[Type]string{
	"fr": {TypeAccess: "accès à vos renseignements personnels", TypeRectification: "rectification", TypeDeletion: "suppression ou cessation de diffusion",
		TypeWithdrawal: "retrait du consentement", TypeDeindexation: "désindexation", TypePortability: "portabilité de vos renseignements",
		TypeComplaint: "plainte", TypeOther: "autre demande"},
	"en": {TypeAccess: "access to your personal information", TypeRectification: "rectification", TypeDeletion: "deletion or cessation of dissemination",
		TypeWithdrawal: "withdrawal of consent", TypeDeindexation: "de-indexation", TypePortability: "portability of your information",
		TypeComplaint: "complaint", TypeOther: "other request"},
}

// TypeName names a request type in lang, for letters and pages.
func TypeName(t Type, lang string) string {
	if n, ok := typeNames[langOf(lang)][t]; ok {
		return n
	}
	return string(t)
}

var capacityNames = map[string]map[Capacity]string{
	"fr": {CapacityParent: "titulaire de l'autorité parentale", CapacityTutor: "tuteur ou curateur", CapacityMandatary: "mandataire",
		CapacityHeir: "héritier ou successible", CapacityOther: "représentant"},
	"en": {CapacityParent: "holder of parental authority", CapacityTutor: "tutor or curator", CapacityMandatary: "mandatary",
		CapacityHeir: "heir or successor", CapacityOther: "representative"},
}

// CapacityName names a representative's capacity in lang.
func CapacityName(c Capacity, lang string) string {
	if n, ok := capacityNames[langOf(lang)][c]; ok {
		return frTypoIf(lang, n)
	}
	return string(c)
}

func frTypoIf(lang, s string) string {
	if lang == "fr" {
		return frTypo.Replace(s)
	}
	return s
}

func langOf(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "fr"
}

var monthsFR = []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// FormatDate writes a date in Montreal time, as letters say it.
func FormatDate(t time.Time, lang string) string {
	l := t.In(montreal)
	if langOf(lang) == "en" {
		return l.Format("January 2, 2006")
	}
	day := fmt.Sprint(l.Day())
	if l.Day() == 1 {
		day = "1er"
	}
	return day + "\u00a0" + monthsFR[l.Month()-1] + "\u00a0" + fmt.Sprint(l.Year())
}

// contact is the person in charge's contact, which ends every letter.
func (oi orgInfo) contact(lang string) string {
	o := oi.doc.Officer
	var lines []string
	for _, s := range []string{o.Name, o.Title, oi.name(), o.Email, o.Phone, o.Address} {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	head := map[string]string{"fr": "La personne responsable de la protection des renseignements personnels", "en": "The person in charge of the protection of personal information"}[lang]
	return head + "\n" + strings.Join(lines, "\n")
}

// StatusURL is the link to a request's public status page.
func (s *Service) StatusURL(slug, token string) string {
	return s.BaseURL + "/o/" + slug + "/requests/status?t=" + token
}

// letter writes a letter for r in the requester's language.
func (s *Service) letter(oi orgInfo, r *Request, kind LetterKind, d letterData, now time.Time) (OutLetter, error) {
	lang := langOf(r.Lang)
	data := map[string]any{
		"Org": oi.name(), "Name": r.Requester.Name, "Reference": r.Reference, "Type": TypeName(r.Type, lang),
		"Received": FormatDate(r.ReceivedAt, lang), "Due": FormatDate(r.DueAt, lang), "Contact": oi.contact(lang),
		"StatusLink": "", "Represented": "", "Capacity": "", "Reason": d.Reason, "Question": d.Question,
		"Outcome": string(r.Outcome), "Reasons": r.Reasons.In(lang), "Articles": strings.Join(r.Articles, ", "),
		"Article": map[Law]string{LawPrivate: map[string]string{"fr": "art. 32 de la Loi sur la protection des renseignements personnels dans le secteur privé",
			"en": "s. 32 of the Act respecting the protection of personal information in the private sector"}[lang],
			LawPublic: map[string]string{"fr": "art. 98 de la Loi sur l'accès aux documents des organismes publics",
				"en": "s. 98 of the Act respecting access to documents held by public bodies"}[lang]}[r.Law],
		// The private sector asks the Commission to examine a
		// disagreement (P 42); a public body's decision is reviewed (A 135).
		"Recourse": map[Law]string{LawPrivate: map[string]string{"fr": "d'examiner la mésentente", "en": "to examine the disagreement"}[lang],
			LawPublic: map[string]string{"fr": "de réviser la décision", "en": "to review the decision"}[lang]}[r.Law],
	}
	if lang == "fr" {
		data["Article"], data["Recourse"] = frTypo.Replace(data["Article"].(string)), frTypo.Replace(data["Recourse"].(string))
	}
	// The status link is the requester's secret: only the email carries
	// it. The copy kept in the file, which staff read and the status page
	// shows, says where it went instead.
	data["HasStatus"] = r.Requester.Email != ""
	if r.Represented != nil {
		data["Represented"], data["Capacity"] = r.Represented.Name, CapacityName(r.Represented.Capacity, lang)
	}
	subject, err := execute(lang, string(kind)+".subject", data)
	if err != nil {
		return OutLetter{}, err
	}
	if d.StatusToken != "" {
		data["StatusLink"] = map[string]string{"fr": "[lien personnel, envoyé par courriel seulement]", "en": "[personal link, sent by email only]"}[lang]
	}
	text, err := execute(lang, string(kind)+".body", data)
	if err != nil {
		return OutLetter{}, err
	}
	l := OutLetter{Letter: Letter{Kind: kind, Lang: lang, Subject: subject, Text: text, CreatedAt: now}}
	if r.Requester.Email != "" {
		mailText := text
		if d.StatusToken != "" {
			data["StatusLink"] = s.StatusURL(oi.o.Slug, d.StatusToken)
			if mailText, err = execute(lang, string(kind)+".body", data); err != nil {
				return OutLetter{}, err
			}
		}
		l.Emailed = true
		l.Mail = &pqmail.Message{OrgID: oi.org, Kind: "request." + string(kind), Ref: "request", Lang: lang, To: r.Requester.Email,
			Subject: subject, Text: mailText}
	}
	return l, nil
}

// confirmMail asks the requester to confirm their address.
func (s *Service) confirmMail(oi orgInfo, r *Request, token string, expires time.Time) (pqmail.Message, error) {
	lang := langOf(r.Lang)
	data := map[string]any{"Org": oi.name(), "Name": r.Requester.Name, "Type": TypeName(r.Type, lang),
		"Link": s.BaseURL + "/o/" + oi.o.Slug + "/requests/confirm?t=" + token, "Expires": FormatDate(expires, lang)}
	subject, err := execute(lang, "confirm.subject", data)
	if err != nil {
		return pqmail.Message{}, err
	}
	text, err := execute(lang, "confirm.body", data)
	return pqmail.Message{OrgID: oi.org, Kind: "request.confirm", Ref: "request", Lang: lang, To: r.Requester.Email, Subject: subject, Text: text}, err
}

// PDF writes a letter as an A4 PDF, dated, with the request's reference.
func (l *Letter) PDF(w io.Writer, org, reference string) error {
	d, err := pdfdoc.New()
	if err != nil {
		return err
	}
	d.Text(pdfdoc.Plain(org, true), pdfdoc.MarginX, pdfdoc.StyleBody, pdfdoc.InkText, 0)
	d.Text(pdfdoc.Plain(FormatDate(l.CreatedAt, l.Lang), false), pdfdoc.MarginX, pdfdoc.StyleBody, pdfdoc.InkMuted, 0)
	d.Gap(10)
	d.Text(pdfdoc.Plain(l.Subject, true), pdfdoc.MarginX, pdfdoc.StyleTitle, pdfdoc.InkText, 0)
	d.Gap(8)
	// The templates wrap lines at 80 columns; the PDF reflows paragraphs.
	for _, para := range strings.Split(l.Text, "\n\n") {
		for _, ln := range strings.Split(reflow(para), "\n") {
			d.Paragraph(pdfdoc.Plain(ln, false), 0)
		}
	}
	footer := map[string]string{"fr": "Réf. " + reference + " · page %d sur %d", "en": "Ref. " + reference + " · page %d of %d"}[langOf(l.Lang)]
	var buf bytes.Buffer
	if err := d.Write(&buf, pdfdoc.Info{Title: l.Subject, Author: org, Created: l.CreatedAt, Footer: footer}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Paragraphs are the letter's paragraphs with their wrapped lines joined,
// for a page that wraps them itself.
func (l *Letter) Paragraphs() []string {
	var out []string
	for _, para := range strings.Split(l.Text, "\n\n") {
		out = append(out, reflow(para))
	}
	return out
}

// reflow joins a paragraph's wrapped lines, keeping lines that start a
// list item, a link or a contact block line on their own.
func reflow(para string) string {
	lines := strings.Split(para, "\n")
	var b strings.Builder
	for i, ln := range lines {
		if i > 0 {
			keep := strings.HasPrefix(ln, "http") || strings.HasPrefix(ln, "–") || strings.HasSuffix(lines[i-1], ":") ||
				strings.HasSuffix(lines[i-1], "\u00a0:") || len(lines[i-1]) < 50
			if keep {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(ln)
	}
	return b.String()
}
