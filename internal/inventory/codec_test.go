package inventory

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"privaq"
)

var update = flag.Bool("update", false, "rewrite demo.yaml in canonical form")

func encode(t testing.TB, d *Document, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := d.Encode(&b, format); err != nil {
		t.Fatalf("Encode(%s): %v", format, err)
	}
	return b.Bytes()
}

func mustParse(t testing.TB, data []byte, format string) *Document {
	t.Helper()
	d, err := Parse(data, format)
	if err != nil {
		t.Fatalf("Parse(%s): %v", format, err)
	}
	return d
}

// roundTrip checks that encoding, parsing and encoding again gives the same
// bytes in both formats, and that each format reads the other's output.
func roundTrip(t testing.TB, d *Document) {
	t.Helper()
	for _, f := range []string{FormatYAML, FormatJSON} {
		first := encode(t, d, f)
		second := encode(t, mustParse(t, first, f), f)
		if !bytes.Equal(first, second) {
			t.Fatalf("%s round trip differs:\n got %q\nwant %q", f, second, first)
		}
	}
	viaJSON := encode(t, mustParse(t, encode(t, d, FormatJSON), FormatJSON), FormatYAML)
	if want := encode(t, d, FormatYAML); !bytes.Equal(viaJSON, want) {
		t.Fatalf("YAML after JSON differs:\n got %q\nwant %q", viaJSON, want)
	}
}

func TestDemoIsCanonical(t *testing.T) {
	got := encode(t, Demo(), FormatYAML)
	if *update {
		if err := os.WriteFile("demo.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, demoYAML) {
		t.Errorf("Encode(Demo()) differs from demo.yaml; run go test -update")
	}
}

func TestRoundTrip(t *testing.T) {
	canonical, err := os.ReadFile("testdata/canonical.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sparse := &Document{Org: Profile{Name: "X", Regime: RegimePublic, Languages: []string{"fr"}},
		Policy:     PolicySettings{RequestDelayDays: 20},
		Activities: []Activity{{Key: "a", Name: Text{FR: "A"}}}}
	tests := []struct {
		name string
		doc  *Document
	}{
		{"demo", Demo()},
		{"canonical file", mustParse(t, canonical, FormatYAML)},
		{"empty", &Document{}},
		{"nil lists", sparse},
		{"awkward strings", &Document{Org: Profile{Name: "yes", LegalName: "0123", Address: "  two\n\tlines  \n\n", Website: "https://x.example/#a: b"},
			Officer: Officer{Name: "- dash", Title: "\"quoted\" & <html>", Phone: "#1", Address: "|\n>"},
			Policy:  PolicySettings{AdoptedBy: "null", AdoptedOn: "2024-02-29"},
			Purposes: []Purpose{{Key: "p", Name: Text{FR: "é ü 😀 « x »", EN: "true"}, Consent: ConsentNotRequired,
				Exception: Text{FR: "line\n  indented\nend\n"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { roundTrip(t, tt.doc) })
	}
}

func TestCanonicalFile(t *testing.T) {
	for _, name := range []string{"testdata/canonical.yaml", "demo.yaml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			d := mustParse(t, data, FormatYAML)
			if errs := d.Validate(); len(errs) > 0 {
				t.Fatalf("got %v, want a valid document", errs)
			}
			if got := encode(t, d, FormatYAML); !bytes.Equal(got, data) {
				t.Errorf("got\n%s\nwant\n%s", got, data)
			}
		})
	}
}

func TestDateEncoding(t *testing.T) {
	d := &Document{Policy: PolicySettings{AdoptedOn: "2024-05-02"}}
	if got := string(encode(t, d, FormatYAML)); !strings.Contains(got, "\n  adopted_on: 2024-05-02\n") {
		t.Errorf("got YAML %q, want adopted_on: 2024-05-02 unquoted", got)
	}
	if got := string(encode(t, d, FormatJSON)); !strings.Contains(got, `"adopted_on": "2024-05-02"`) {
		t.Errorf("got JSON %q, want a date string", got)
	}
	for _, in := range []string{"policy:\n  adopted_on: 2024-05-02\n", "policy:\n  adopted_on: \"2024-05-02\"\n"} {
		if got := mustParse(t, []byte(in), FormatYAML).Policy.AdoptedOn; got != "2024-05-02" {
			t.Errorf("Parse(%q): got %q, want 2024-05-02", in, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	demoJSON := string(encode(t, Demo(), FormatJSON))
	demoYAML := string(demoYAML)
	tests := []struct {
		name, format, in string
		code             privaq.Code
		field            string
	}{
		{"yaml unknown top field", "yaml", "org: {name: X}\ncolour: red\n", privaq.EValidation, "colour"},
		{"yaml unknown nested field", "yaml", strings.Replace(demoYAML, "    consent: implied\n  - key: volunteer-screening", "    consent: implied\n    consnt: x\n  - key: volunteer-screening", 1), privaq.EValidation, "purposes[5].consnt"},
		{"yaml unknown text language", "yaml", "purposes:\n  - key: a\n    name: {fr: A, de: B}\n", privaq.EValidation, "purposes[0].name.de"},
		{"yaml wrong type", "yaml", "policy:\n  notice_days: thirty\n", privaq.EValidation, "policy.notice_days"},
		{"yaml scalar for text", "yaml", "purposes:\n  - key: a\n    name: Bonjour\n", privaq.EValidation, "purposes[0].name"},
		{"yaml map for list", "yaml", "activities:\n  - key: a\n    purposes: {a: b}\n", privaq.EValidation, "activities[0].purposes"},
		{"yaml bad enum", "yaml", strings.Replace(demoYAML, "consent: implied", "consent: maybe", 1), privaq.EValidation, "purposes[0].consent"},
		{"yaml bad set value", "yaml", strings.Replace(demoYAML, "sources: [subject]", "sources: [friends]", 1), privaq.EValidation, "activities[0].sources[0]"},
		{"yaml bad duration", "yaml", strings.Replace(demoYAML, "period: P7Y", "period: 7 years", 1), privaq.EValidation, "retention_rules[0].period"},
		{"yaml bad date", "yaml", strings.Replace(demoYAML, "adopted_on: 2024-05-02", "adopted_on: 2024-02-30", 1), privaq.EValidation, "policy.adopted_on"},
		{"yaml syntax", "yaml", "org: [\n", privaq.EInvalidJSON, ""},
		{"yaml two documents", "yaml", "org: {name: A}\n---\norg: {name: B}\n", privaq.EInvalidJSON, ""},
		{"yaml empty", "yaml", "", privaq.EInvalidJSON, ""},
		{"json unknown field", "json", strings.Replace(demoJSON, `"consent": "implied"`, `"consent": "implied", "colour": "red"`, 1), privaq.EValidation, "purposes[0].colour"},
		{"json wrong type", "json", `{"policy": {"notice_days": "30"}}`, privaq.EValidation, "policy.notice_days"},
		{"json wrong type in list", "json", `{"activities": [{"key": "a"}, {"key": "b", "purposes": "x"}]}`, privaq.EValidation, "activities[1].purposes"},
		{"json bad enum", "json", strings.Replace(demoJSON, `"category": "marketing"`, `"category": "ads"`, 1), privaq.EValidation, "cookies[8].category"},
		{"json bad duration", "json", strings.Replace(demoJSON, `"duration": "P3M"`, `"duration": "3 months"`, 1), privaq.EValidation, "cookies[8].duration"},
		{"json syntax", "json", `{"org": `, privaq.EInvalidJSON, ""},
		{"json trailing data", "json", `{} {}`, privaq.EInvalidJSON, ""},
		{"oversized", "yaml", "# " + strings.Repeat("x", MaxDocumentSize), privaq.ETooLarge, ""},
		{"unknown format", "toml", "", privaq.EUnsupportedType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in), tt.format)
			var pe *privaq.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *privaq.Error", err)
			}
			if pe.Code != tt.code || pe.Field != tt.field {
				t.Errorf("got %s at %q (%v), want %s at %q", pe.Code, pe.Field, err, tt.code, tt.field)
			}
		})
	}
}

func TestFormatFromName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"inv.yaml", "yaml"}, {"dir.d/INV.YML", "yaml"}, {"inv.json", "json"}, {"inv.toml", ""}, {"yaml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatFromName(tt.name)
			if got != tt.want || (tt.want == "") != privaq.IsCode(err, privaq.EUnsupportedType) {
				t.Errorf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestEncodeDoesNotMutate(t *testing.T) {
	d := &Document{Activities: []Activity{{Key: "a"}}}
	encode(t, d, FormatJSON)
	if d.Purposes != nil || d.Activities[0].Purposes != nil {
		t.Errorf("got %+v, want nil lists left alone", d)
	}
	if got := string(encode(t, d, FormatJSON)); strings.Contains(got, "null") {
		t.Errorf("got %s, want [] instead of null", got)
	}
}

// TestYAMLStrings tries every short string over characters that trouble
// YAML writers, alone and in a long text, and expects each to read back
// unchanged.
func TestYAMLStrings(t *testing.T) {
	alphabet := []string{"a", " ", "\n", "\t", "#", "-", ":", "'", "\u00a0"}
	var all []string
	var grow func(s string, n int)
	grow = func(s string, n int) {
		all = append(all, s)
		if n > 0 {
			for _, a := range alphabet {
				grow(s+a, n-1)
			}
		}
	}
	grow("", 4)
	for _, s := range all {
		d := &Document{Org: Profile{Address: s}}
		var b bytes.Buffer
		if err := d.Encode(&b, FormatYAML); err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b.Bytes(), FormatYAML)
		if err != nil || back.Org.Address != s {
			t.Errorf("%q: got %q (%v) from %q, want it unchanged", s, back.Org.Address, err, b.String())
		}
	}
}
