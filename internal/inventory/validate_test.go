package inventory

import (
	"slices"
	"strings"
	"testing"

	"privaq"
)

func fields(errs privaq.ValidationErrors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

func TestDemoIsValid(t *testing.T) {
	if errs := Demo().Validate(); len(errs) > 0 {
		t.Fatalf("got %d errors (%v), want none", len(errs), errs)
	}
}

// TestValidate breaks one rule at a time in the demo and expects exactly the
// listed field paths.
func TestValidate(t *testing.T) {
	long := strings.Repeat("é", MaxLineLen+1)
	tests := []struct {
		name   string
		mutate func(d *Document)
		want   []string
	}{
		{"org name required", func(d *Document) { d.Org.Name = " " }, []string{"org.name"}},
		{"regime required", func(d *Document) { d.Org.Regime = "" }, []string{"org.regime"}},
		{"regime enum", func(d *Document) { d.Org.Regime = "federal" }, []string{"org.regime"}},
		{"languages required", func(d *Document) { d.Org.Languages = nil }, []string{"org.languages"}},
		{"language value", func(d *Document) { d.Org.Languages = []string{"fr", "de"} }, []string{"org.languages[1]"}},
		{"language fr required", func(d *Document) { d.Org.Languages = []string{"en"} }, []string{"org.languages"}},
		{"language twice", func(d *Document) { d.Org.Languages = []string{"fr", "fr"} }, []string{"org.languages[1]"}},
		{"website scheme", func(d *Document) { d.Org.Website = "ftp://example.org" }, []string{"org.website"}},
		{"website relative", func(d *Document) { d.Org.Website = "example.org" }, []string{"org.website"}},
		{"email syntax", func(d *Document) { d.Officer.Email = "privacy at example.org" }, []string{"officer.email"}},
		{"email display name", func(d *Document) { d.Officer.Email = "Nadia <n@example.org>" }, []string{"officer.email"}},
		{"one-line string with newline", func(d *Document) { d.Officer.Title = "a\nb" }, []string{"officer.title"}},
		{"long text allows newline", func(d *Document) { d.Officer.Address = "a\n\tb" }, nil},
		{"long text control char", func(d *Document) { d.Officer.Address = "a\x07b" }, []string{"officer.address"}},
		{"invalid utf-8", func(d *Document) { d.Systems[0].Provider = "\xff" }, []string{"systems[0].provider"}},
		{"line length", func(d *Document) { d.Systems[0].Name = long }, []string{"systems[0].name"}},
		{"long text length", func(d *Document) { d.Measures[0].Text.EN = strings.Repeat("a", MaxLongTextLen+1) }, []string{"measures[0].text.en"}},
		{"notice days", func(d *Document) { d.Policy.NoticeDays = 366 }, []string{"policy.notice_days"}},
		{"negative notice days", func(d *Document) { d.Policy.NoticeDays = -1 }, []string{"policy.notice_days"}},
		{"reply delay zero", func(d *Document) { d.Policy.RequestDelayDays = 0 }, []string{"policy.request_delay_days"}},
		{"reply delay private", func(d *Document) { d.Policy.RequestDelayDays = 31 }, []string{"policy.request_delay_days"}},
		{"reply delay public", func(d *Document) { d.Org.Regime = RegimePublic; d.Policy.RequestDelayDays = 21 }, []string{"policy.request_delay_days"}},
		{"reply delay both", func(d *Document) { d.Org.Regime = RegimeBoth; d.Policy.RequestDelayDays = 30 }, []string{"policy.request_delay_days"}},
		{"reply delay public ok", func(d *Document) { d.Org.Regime = RegimePublic; d.Policy.RequestDelayDays = 20 }, nil},
		{"adopted_on date", func(d *Document) { d.Policy.AdoptedOn = "2024-13-01" }, []string{"policy.adopted_on"}},
		{"key required", func(d *Document) { d.Measures[2].Key = "" }, []string{"measures[2].key"}},
		{"key slug", func(d *Document) { d.Cookies[1].Key = "CSRF token" }, []string{"cookies[1].key"}},
		{"key too long", func(d *Document) { d.Cookies[1].Key = strings.Repeat("a", 64) }, []string{"cookies[1].key"}},
		{"key unique", func(d *Document) { d.Measures[3].Key = d.Measures[2].Key }, []string{"measures[3].key"}},
		{"name fr required", func(d *Document) { d.Purposes[1].Name.FR = "" }, []string{"purposes[1].name.fr"}},
		{"fr required with en", func(d *Document) { d.Purposes[1].Description.FR = "" }, []string{"purposes[1].description.fr"}},
		{"optional text empty", func(d *Document) { d.Purposes[1].Description = Text{} }, nil},
		{"consent required", func(d *Document) { d.Purposes[2].Consent = "" }, []string{"purposes[2].consent"}},
		{"consent enum", func(d *Document) { d.Purposes[2].Consent = "opt-out" }, []string{"purposes[2].consent"}},
		{"exception required", func(d *Document) { d.Purposes[4].Exception = Text{} }, []string{"purposes[4].exception.fr", "activities[5].data_categories[2]"}},
		{"recipient role", func(d *Document) { d.Recipients[0].Role = "vendor" }, []string{"recipients[0].role"}},
		{"location required", func(d *Document) { d.Recipients[0].Location = "" }, []string{"recipients[0].location"}},
		{"location country", func(d *Document) { d.Systems[0].Location = "XX" }, []string{"systems[0].location"}},
		{"location lower case", func(d *Document) { d.Systems[0].Location = "ca-qc" }, []string{"systems[0].location"}},
		{"location province", func(d *Document) { d.Systems[0].Location = "CA-ZZ" }, []string{"systems[0].location"}},
		{"location other province", func(d *Document) { d.Systems[0].Location = "CA-ON" }, nil},
		{"period", func(d *Document) { d.RetentionRules[0].Period = "P" }, []string{"retention_rules[0].period"}},
		{"period no session", func(d *Document) { d.RetentionRules[0].Period = Session }, []string{"retention_rules[0].period"}},
		{"trigger", func(d *Document) { d.RetentionRules[0].Trigger = "" }, []string{"retention_rules[0].trigger"}},
		{"action", func(d *Document) { d.RetentionRules[0].Action = "shred" }, []string{"retention_rules[0].action"}},
		{"cookie duration", func(d *Document) { d.Cookies[4].Duration = "1 year" }, []string{"cookies[4].duration"}},
		{"cookie party", func(d *Document) { d.Cookies[4].Party = "fourth" }, []string{"cookies[4].party"}},
		{"cookie category", func(d *Document) { d.Cookies[4].Category = "" }, []string{"cookies[4].category"}},
		{"cookie pattern", func(d *Document) { d.Cookies[6].Patterns = []string{"_ga", ""} }, []string{"cookies[6].patterns[1]"}},
		{"necessary third-party cookie", func(d *Document) { d.Cookies[3].Purpose = Text{} }, []string{"cookies[3].purpose.fr"}},
		{"measure kind", func(d *Document) { d.Measures[0].Kind = "legal" }, []string{"measures[0].kind"}},
		{"measure text", func(d *Document) { d.Measures[0].Text = Text{} }, []string{"measures[0].text.fr"}},
		{"unknown purpose", func(d *Document) { d.Activities[0].Purposes = []string{"membership", "nope"} }, []string{"activities[0].purposes[1]"}},
		{"unknown data category", func(d *Document) { d.Activities[1].DataCategories[0] = "nope" }, []string{"activities[1].data_categories[0]"}},
		{"unknown subject", func(d *Document) { d.Activities[1].Subjects[1] = "nope" }, []string{"activities[1].subjects[1]"}},
		{"unknown system", func(d *Document) { d.Activities[2].Systems[1] = "nope" }, []string{"activities[2].systems[1]"}},
		{"unknown recipient", func(d *Document) { d.Activities[5].Recipients[0] = "nope" }, []string{"activities[5].recipients[0]"}},
		{"unknown retention", func(d *Document) { d.Activities[5].Retention = "nope" }, []string{"activities[5].retention"}},
		{"reference twice", func(d *Document) { d.Activities[0].Purposes = []string{"membership", "membership"} }, []string{"activities[0].purposes[1]"}},
		{"source", func(d *Document) { d.Activities[0].Sources = []string{"rumour"} }, []string{"activities[0].sources[0]"}},
		{"collection means", func(d *Document) { d.Activities[0].CollectionMeans = []string{"web_form", "fax"} }, []string{"activities[0].collection_means[1]"}},
		{"sensitive with implied purpose", func(d *Document) { d.Activities[0].DataCategories = append(d.Activities[0].DataCategories, "banking") }, []string{"activities[0].data_categories[3]"}},
		{"sensitive made implied", func(d *Document) { d.Purposes[2].Consent = ConsentImplied }, []string{"activities[2].data_categories[2]"}},
		{"sensitive with mixed purposes", func(d *Document) {
			d.Activities[2].Purposes = append(d.Activities[2].Purposes, "membership")
		}, []string{"activities[2].data_categories[2]"}},
		{"sensitive with excepted purpose", func(d *Document) { d.Activities[5].Purposes = []string{"donations", "child-safety"} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Demo()
			tt.mutate(d)
			errs := d.Validate()
			if got := fields(errs); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q (%v)", got, tt.want, errs)
			}
			for _, e := range errs {
				if e.Code != privaq.EValidation || e.Message == "" || !strings.HasSuffix(e.Message, ".") {
					t.Errorf("got %s %q, want validation_failed and a sentence", e.Code, e.Message)
				}
			}
		})
	}
}

func TestValidateZero(t *testing.T) {
	got := fields((&Document{}).Validate())
	want := []string{"org.name", "org.regime", "org.languages", "policy.request_delay_days"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValidationErrorsUnwrap(t *testing.T) {
	d := Demo()
	d.Org.Name = ""
	if err := d.Validate().Err(); !privaq.IsCode(err, privaq.EValidation) {
		t.Errorf("got %v, want validation_failed", err)
	}
}

func TestNotBlocking(t *testing.T) {
	d := Demo()
	d.Recipients[2].PIA = false           // outside Quebec without a PIA
	d.Recipients[0].Contract = false      // processor without contract
	d.Activities[0].Retention = ""        // no retention rule
	d.Activities[0].Purposes = []string{} // no purpose
	d.Officer = Officer{}
	if errs := d.Validate(); len(errs) > 0 {
		t.Errorf("got %v, want these gaps left to Check", errs)
	}
}

func TestLocations(t *testing.T) {
	tests := []struct {
		loc  string
		want bool
	}{
		{"CA", true}, {"US", true}, {"FR", true}, {"CA-QC", true}, {"CA-YT", true},
		{"", false}, {"ca", false}, {"CAN", false}, {"CA-", false}, {"US-NY", false}, {"Q ", false}, {"EU", false},
	}
	for _, tt := range tests {
		if got := ValidLocation(tt.loc); got != tt.want {
			t.Errorf("ValidLocation(%q): got %v, want %v", tt.loc, got, tt.want)
		}
	}
	if got := len(countrySet); got != 249 {
		t.Errorf("got %d country codes, want 249", got)
	}
}
