package policy

import (
	"bytes"
	"errors"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"privaq"
	"privaq/internal/inventory"
)

// noticeOptions are the options of the golden notices.
func noticeOptions() Options {
	return Options{Org: "demo", BaseURL: "https://privacy.example.org"}
}

// renderNotice writes the notice of activity in lang as HTML and text.
func renderNotice(t *testing.T, doc *inventory.Document, activity, lang string, o Options) (n *CollectionNotice, html, text string) {
	t.Helper()
	n, err := Notice(doc, activity, lang, o)
	if err != nil {
		t.Fatalf("Notice(%s, %s): %v", activity, lang, err)
	}
	var h, x bytes.Buffer
	if err := n.HTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := n.Text(&x); err != nil {
		t.Fatal(err)
	}
	return n, h.String(), x.String()
}

// TestNoticeGolden pins the notice of every activity of the demo
// organization, in both languages and both formats.
func TestNoticeGolden(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Join("testdata", "notice"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	doc := inventory.Demo()
	for _, a := range doc.Activities {
		for _, lang := range inventory.Languages {
			t.Run(a.Key+"."+lang, func(t *testing.T) {
				_, html, text := renderNotice(t, doc, a.Key, lang, noticeOptions())
				golden(t, "notice/"+a.Key+"."+lang+".html.golden", html)
				golden(t, "notice/"+a.Key+"."+lang+".txt.golden", text)
			})
		}
	}
}

// TestNoticeContents checks, for every demo activity, that the notice
// names each of its purposes, data categories and recipients, flags the
// sensitive categories, gives the officer's contact and links to the
// policy, and stays a notice rather than a policy.
func TestNoticeContents(t *testing.T) {
	doc := inventory.Demo()
	for _, a := range doc.Activities {
		for _, lang := range inventory.Languages {
			c := catalogs[lang]
			where := a.Key + "." + lang
			_, out, text := renderNotice(t, doc, a.Key, lang, noticeOptions())
			want := []string{c.say("notice.rights.term", nil), doc.Officer.Email,
				"https://privacy.example.org/o/demo/privacy?lang=" + lang + "#" + SecPurposes}
			for _, p := range doc.Purposes {
				if slices.Contains(a.Purposes, p.Key) {
					want = append(want, c.text(p.Name))
				}
			}
			for _, d := range doc.DataCategories {
				if !slices.Contains(a.DataCategories, d.Key) {
					continue
				}
				name := c.say("quote", c.text(d.Name))
				if d.Sensitive {
					name += " " + c.say("notice.sensitive", nil)
				} else if strings.Contains(text, name+" "+c.say("notice.sensitive", nil)) {
					t.Errorf("%s: %s is flagged sensitive, want it not flagged", where, name)
				}
				want = append(want, name)
			}
			for _, r := range doc.Recipients {
				if slices.Contains(a.Recipients, r.Key) {
					want = append(want, c.tidy(r.Name))
				}
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: text lacks %q", where, w)
				}
				if esc := html.EscapeString(w); !strings.Contains(out, esc) {
					t.Errorf("%s: HTML lacks %q", where, esc)
				}
			}
			if n := noticeWords(text); n < 80 || n > 200 {
				t.Errorf("%s: got %d words, want 80 to 200: a notice, not a policy", where, n)
			}
			if !strings.HasPrefix(out, `<section class="privaq-notice" lang="`+lang+`"`) || strings.Contains(out, "<script") || strings.Contains(out, "style") {
				t.Errorf("%s: HTML is not a self-contained section: %.100s", where, out)
			}
		}
	}
}

// noticeWords counts the words of s: the runs of characters around spaces that
// hold a letter or a digit (a French « or : is not a word).
func noticeWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

// TestNoticeTypography checks every demo notice for template leftovers and
// empty parts, and the French ones for spacing and apostrophes.
func TestNoticeTypography(t *testing.T) {
	doc := inventory.Demo()
	for _, a := range doc.Activities {
		for _, lang := range inventory.Languages {
			n, html, text := renderNotice(t, doc, a.Key, lang, noticeOptions())
			checkNotice(t, a.Key+"."+lang, n)
			for format, out := range map[string]string{"html": html, "text": text} {
				where := a.Key + "." + lang + "." + format
				for _, bad := range []string{"{{", "}}", "<no value>", "%!", "<p></p>", "<li></li>", "..", " ,", "  ", "()"} {
					if i := strings.Index(out, bad); i >= 0 {
						t.Errorf("%s: %q at %q", where, bad, around(out, i))
					}
				}
				if lang != "fr" {
					continue
				}
				if loc := asciiSpaceBefore.FindStringIndex(out); loc != nil {
					t.Errorf("%s: ASCII space in %q; want a no-break space", where, around(out, loc[0]))
				}
				for _, bad := range []string{"'", "&#39;"} {
					if i := strings.Index(out, bad); i >= 0 {
						t.Errorf("%s: straight apostrophe in %q", where, around(out, i))
					}
				}
			}
		}
	}
}

// checkNotice fails on an empty title, paragraph, term or item.
func checkNotice(t *testing.T, where string, n *CollectionNotice) {
	t.Helper()
	if n.Title == "" || len(n.Blocks) == 0 {
		t.Errorf("%s: empty title or no blocks", where)
	}
	for i, b := range n.Blocks {
		empty := false
		switch b.Kind {
		case KindParagraph:
			empty = strings.TrimSpace(b.Text) == ""
		case KindList:
			empty = len(b.Items) == 0
			for _, it := range b.Items {
				empty = empty || strings.TrimSpace(it.Term) == "" || strings.TrimSpace(it.Text) == ""
			}
		default:
			t.Errorf("%s: block %d is a %s; a notice has paragraphs and lists only", where, i, b.Kind)
		}
		if empty {
			t.Errorf("%s: block %d (%s) is empty", where, i, b.Kind)
		}
	}
}

// TestNoticeSparse renders the notice of an activity that refers to
// nothing, in an inventory without officer: every part must still read.
func TestNoticeSparse(t *testing.T) {
	for _, r := range []inventory.Regime{inventory.RegimePrivate, inventory.RegimePublic} {
		d := &inventory.Document{
			Org:        inventory.Profile{Name: "Exemple inc.", Regime: r, Website: "https://exemple.org", Languages: []string{"fr"}},
			Activities: []inventory.Activity{{Key: "bare", Name: inventory.Text{FR: "Activité nue"}}},
		}
		for _, lang := range inventory.Languages {
			n, html, text := renderNotice(t, d, "bare", lang, Options{Org: "exemple"})
			checkNotice(t, "sparse."+lang, n)
			for _, bad := range []string{"inc..", "{{", "<no value>", " ,", "()"} {
				if strings.Contains(html, bad) || strings.Contains(text, bad) {
					t.Errorf("sparse.%s: output contains %q", lang, bad)
				}
			}
			if !strings.Contains(text, "https://exemple.org") || !strings.Contains(html, `href="/o/exemple/privacy?lang=`+lang+`#purposes"`) {
				t.Errorf("sparse.%s: want the organization's website and a relative policy link:\n%s", lang, html)
			}
		}
	}
}

// TestNoticeEscapes proves that inventory texts cannot bring markup into
// the snippet an organization pastes into its own pages.
func TestNoticeEscapes(t *testing.T) {
	d := inventory.Demo()
	d.Org.Name = `Acme <b>& fils</b>`
	d.Activities[0].Name = inventory.Text{FR: `<script>alert("x")</script>`, EN: `<img src=x onerror=alert(1)>`}
	d.Purposes[0].Name = inventory.Text{FR: `Adhésions <i>"VIP"</i>`, EN: `Members & <i>VIP</i>`}
	d.DataCategories[0].Name = inventory.Text{FR: `Nom <u>complet</u>`, EN: `Full <u>name</u>`}
	d.Recipients[0].Name = `Nuagique <Québec> & cie`
	for _, lang := range inventory.Languages {
		_, html, text := renderNotice(t, d, d.Activities[0].Key, lang, noticeOptions())
		for _, bad := range []string{"<script", "<img", "<b>", "<i>", "<u>", "<Québec>", "& "} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: HTML contains %q unescaped", lang, bad)
			}
		}
		for _, good := range []string{"&lt;b&gt;&amp; fils&lt;/b&gt;", "&lt;u&gt;", "Nuagique &lt;Québec&gt; &amp; cie"} {
			if !strings.Contains(html, good) {
				t.Errorf("%s: HTML lacks %q", lang, good)
			}
		}
		if !strings.Contains(text, "Nuagique <Québec> & cie") {
			t.Errorf("%s: the text output escapes what it should keep as is", lang)
		}
	}
}

func TestNoticeErrors(t *testing.T) {
	for _, tc := range []struct {
		activity, lang string
		code           privaq.Code
		field          string
	}{
		{"member-registration", "de", privaq.EValidation, "lang"},
		{"member-registration", "", privaq.EValidation, "lang"},
		{"no-such-activity", "fr", privaq.ENotFound, ""},
		{"membership", "en", privaq.ENotFound, ""}, // a purpose's key, not an activity's
	} {
		_, err := Notice(inventory.Demo(), tc.activity, tc.lang, noticeOptions())
		var pe *privaq.Error
		if !errors.As(err, &pe) || pe.Code != tc.code || pe.Field != tc.field {
			t.Errorf("Notice(%q, %q): got %v, want %s on %q", tc.activity, tc.lang, err, tc.code, tc.field)
		}
	}
}

func TestNoticeDeterministic(t *testing.T) {
	_, a, x := renderNotice(t, inventory.Demo(), "camp-registration", "fr", noticeOptions())
	_, b, y := renderNotice(t, inventory.Demo(), "camp-registration", "fr", noticeOptions())
	if a != b || x != y {
		t.Error("two renders of the same notice differ")
	}
}

// TestNoticePlurals checks the phrases whose grammar depends on how many
// purposes and recipients an activity has.
func TestNoticePlurals(t *testing.T) {
	d := inventory.Demo()
	a := &d.Activities[0] // member-registration: one purpose, one processor
	a.Purposes = append(a.Purposes, "newsletter")
	a.Recipients = append(a.Recipients, "mailchimp", "meta", "dpj")
	for lang, want := range map[string][]string{
		"fr": {"aux fins suivantes\u00a0:", "Fournisseurs de services agissant pour notre compte\u00a0: Nuagique Québec inc. et Mailchimp (États-Unis).",
			"Autres destinataires\u00a0: Meta Platforms (tiers, États-Unis) et Directeur de la protection de la jeunesse de la Montérégie (organisme public).",
			"hors du Québec (États-Unis)"},
		"en": {"following purposes:", "Service providers acting on our behalf: Nuagique Québec inc. and Mailchimp (United States).",
			"Other recipients: Meta Platforms (third party, United States) and Directeur de la protection de la jeunesse de la Montérégie (public body).",
			"outside Quebec (United States)"},
	} {
		_, _, text := renderNotice(t, d, a.Key, lang, noticeOptions())
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: text lacks %q:\n%s", lang, w, text)
			}
		}
	}
}
