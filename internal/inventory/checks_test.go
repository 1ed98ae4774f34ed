package inventory

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestCheckDemo(t *testing.T) {
	got := ids(Check(Demo()))
	want := []string{
		// Mailchimp: the recipient has no PIA, so neither has the system it
		// runs; the other systems outside Quebec are covered by their
		// providers' PIAs.
		"recipient-no-pia",
		"system-outside-quebec",
		"minors-consent", "minors-consent", "automated-decision", "minors-consent", "profiling", "cookie-consent",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// gappy is a document with every gap the check knows, each once.
func gappy() *Document {
	return &Document{
		Org:    Profile{Name: "Gappy", Regime: RegimePrivate, Languages: []string{"fr", "en"}},
		Policy: PolicySettings{NoticeDays: 30, RequestDelayDays: 45},
		Purposes: []Purpose{
			{Key: "service", Name: Text{FR: "Service"}, Consent: ConsentImplied},
			{Key: "legal", Name: Text{FR: "Obligation légale"}, Consent: ConsentNotRequired},
			{Key: "unused", Name: Text{FR: "Inutilisée", EN: "Unused"}, Consent: ConsentExpress},
		},
		DataCategories: []DataCategory{
			{Key: "health", Name: Text{FR: "Santé"}, Sensitive: true},
			{Key: "spare", Name: Text{FR: "Superflu"}},
		},
		SubjectCategories: []SubjectCategory{{Key: "kids", Name: Text{FR: "Enfants"}, Minors: true}},
		Systems:           []System{{Key: "cloud", Name: "Nuage", Location: "US"}},
		Recipients:        []Recipient{{Key: "mailer", Name: "Mailchimp", Role: RoleProcessor, Location: "US"}},
		Activities: []Activity{
			{Key: "care", Name: Text{FR: "Soins"}, Purposes: []string{"service", "legal"}, DataCategories: []string{"health"},
				Subjects: []string{"kids"}, Systems: []string{"cloud"}, Recipients: []string{"mailer"},
				AutomatedDecision: true, Profiling: true},
			{Key: "orphan", Name: Text{FR: "Orpheline"}, Retention: "keep"},
		},
		RetentionRules: []RetentionRule{{Key: "keep", Name: Text{FR: "Garder"}, Period: "P1Y", Trigger: TriggerCollection, Action: ActionDestroy}},
		Cookies: []Cookie{
			{Key: "cdn", Name: "cdn", Category: CookieNecessary, Duration: Session, Party: "third"},
			{Key: "ga", Name: "_ga", Category: CookieStatistics, Duration: "P2Y", Party: "first", Purpose: Text{FR: "Statistiques"}},
		},
		Measures: []Measure{{Key: "Bad Key", Kind: MeasureTraining, Text: Text{FR: "Formation"}}},
	}
}

func TestCheckEveryID(t *testing.T) {
	fs := Check(gappy())
	want := map[string]Severity{
		"invalid": SeverityError, "request-delay": SeverityError, "consent-exception": SeverityError,
		"sensitive-consent": SeverityError, "cookie-necessary-third": SeverityError, "officer-missing": SeverityError,
		"activity-no-purpose": SeverityError, "recipient-no-pia": SeverityError, "processor-no-contract": SeverityError,
		"purpose-unused": SeverityWarning, "activity-no-retention": SeverityWarning, "data-unused": SeverityWarning,
		"system-outside-quebec": SeverityWarning, "no-security-measure": SeverityWarning, "governance-adoption": SeverityWarning,
		"automated-decision": SeverityInfo, "profiling": SeverityInfo, "minors-consent": SeverityInfo,
		"cookie-consent": SeverityInfo, "translations-missing": SeverityInfo,
	}
	got := map[string]Severity{}
	for _, f := range fs {
		got[f.ID] = f.Severity
	}
	for id, sev := range want {
		if got[id] != sev {
			t.Errorf("finding %s: got severity %q, want %q", id, got[id], sev)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("got unexpected finding %s", id)
		}
	}
	if !slices.IsSortedFunc(fs, func(a, b Finding) int { return a.Severity.rank() - b.Severity.rank() }) {
		t.Errorf("got %q, want errors, then warnings, then info", ids(fs))
	}
}

func TestCheckDetails(t *testing.T) {
	fs := Check(gappy())
	find := func(id string) Finding {
		for _, f := range fs {
			if f.ID == id {
				return f
			}
		}
		t.Fatalf("no finding %s in %q", id, ids(fs))
		return Finding{}
	}
	tests := []struct {
		id, article, field, coll, key, frPart, enPart string
	}{
		{"invalid", "", "measures[0].key", "measures", "Bad Key", "La clé «\u00a0Bad Key\u00a0» n’est pas valide\u00a0:", "is not a valid slug"},
		{"recipient-no-pia", "P 17", "recipients[0].pia", "recipients", "mailer",
			"Le destinataire «\u00a0Mailchimp\u00a0» est situé hors du Québec (US) sans évaluation des facteurs relatifs à la vie privée", `"Mailchimp" is located outside Quebec`},
		{"sensitive-consent", "P 12", "activities[0].data_categories[0]", "activities", "care", "exige un consentement exprès", "needs express consent"},
		{"request-delay", "P 32", "policy.request_delay_days", "", "", "limite légale de 30 jours", "legal limit of 30 days"},
		{"processor-no-contract", "P 18.3", "recipients[0].contract", "recipients", "mailer", "contrat écrit", "written contract"},
		{"activity-no-retention", "P 23", "activities[0].retention", "activities", "care", "règle de conservation", "retention rule"},
		{"minors-consent", "P 4.1 · P 14", "activities[0].subjects[0]", "activities", "care", "moins de 14 ans", "under 14"},
		{"translations-missing", "", "", "", "", "textes n’ont pas de traduction anglaise", "texts have no English translation"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			f := find(tt.id)
			got := []string{f.Article, f.Field, f.Collection, f.Key}
			if want := []string{tt.article, tt.field, tt.coll, tt.key}; !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
			if !strings.Contains(f.Message.FR, tt.frPart) || !strings.Contains(f.Message.EN, tt.enPart) {
				t.Errorf("got %q / %q, want them to contain %q / %q", f.Message.FR, f.Message.EN, tt.frPart, tt.enPart)
			}
		})
	}
}

// TestCheckFrench checks French typography in every message: a no-break
// space before the high punctuation and inside guillemets.
func TestCheckFrench(t *testing.T) {
	for _, f := range Check(gappy()) {
		for _, bad := range []string{" :", " ;", " ?", " !", "« ", " »", "'"} {
			if strings.Contains(f.Message.FR, bad) {
				t.Errorf("%s: got %q, want no %q", f.ID, f.Message.FR, bad)
			}
		}
		if f.Message.FR == "" || f.Message.EN == "" || !strings.HasSuffix(f.Message.FR, ".") {
			t.Errorf("%s: got %+v, want a sentence in each language", f.ID, f.Message)
		}
	}
}

func TestCheckArticles(t *testing.T) {
	tests := []struct {
		regime Regime
		want   string
	}{
		{RegimePrivate, "P 17"}, {RegimePublic, "A 70.1"}, {RegimeBoth, "P 17 · A 70.1"},
	}
	for _, tt := range tests {
		t.Run(string(tt.regime), func(t *testing.T) {
			d := gappy()
			d.Org.Regime = tt.regime
			for _, f := range Check(d) {
				if f.ID == "recipient-no-pia" && f.Article != tt.want {
					t.Errorf("got %q, want %q", f.Article, tt.want)
				}
			}
		})
	}
}

func TestFindingJSON(t *testing.T) {
	b, err := json.Marshal(Finding{ID: "x", Severity: SeverityInfo, Message: Text{FR: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"id":"x","severity":"info","article":"","message":{"fr":"a"}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCheckTranslationsOnlyWhenEnglish(t *testing.T) {
	d := gappy()
	d.Org.Languages = []string{"fr"}
	if slices.Contains(ids(Check(d)), "translations-missing") {
		t.Errorf("got translations-missing, want none for a French-only organization")
	}
}

func TestSystemCoveredByItsProvidersPIA(t *testing.T) {
	d := &Document{Systems: []System{{Key: "crm", Name: "CRM", Provider: "Acme Cloud", Location: "US"}},
		Recipients: []Recipient{{Key: "acme", Name: "Acme Cloud", Role: RoleProcessor, Location: "US", Contract: true}}}
	if !slices.Contains(ids(Check(d)), "system-outside-quebec") {
		t.Fatal("a system outside Quebec whose provider has no PIA must be reported")
	}
	d.Recipients[0].PIA = true
	if slices.Contains(ids(Check(d)), "system-outside-quebec") {
		t.Error("the provider's PIA should cover the system")
	}
}
