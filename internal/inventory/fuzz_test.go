package inventory

import (
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to both parsers. Parse must never panic,
// and any document it accepts that is also valid must come back byte for
// byte through Encode and Parse, in both formats and across them.
func FuzzParse(f *testing.F) {
	canonical, err := os.ReadFile("testdata/canonical.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{
		demoYAML,
		encode(f, Demo(), FormatJSON),
		canonical,
		encode(f, mustParse(f, canonical, FormatYAML), FormatJSON),
		[]byte("org: {name: X, regime: private, languages: [fr]}\npolicy: {request_delay_days: 30}\n"),
		[]byte(`{"org":{"name":"X","regime":"private","languages":["fr"]},"policy":{"request_delay_days":30}}`),
		[]byte("org: [\n"),
		[]byte("a: &x [*x]\n"),
		[]byte("purposes:\n  - key: a\n    name: {fr: \"\\u2028\"}\n"),
		[]byte(`{"purposes":[{"key":"a","name":{"fr":"x"},"extra":1}]}`),
		[]byte("---\n---\n"),
		{0xff, 0xfe, 0x00},
	}
	for _, s := range seeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		format := FormatJSON
		if yaml {
			format = FormatYAML
		}
		d, err := Parse(data, format)
		if err != nil || len(d.Validate()) > 0 {
			return
		}
		roundTrip(t, d)
		for _, f := range []string{FormatYAML, FormatJSON} {
			if errs := mustParse(t, encode(t, d, f), f).Validate(); len(errs) > 0 {
				t.Fatalf("%s: got %v after a round trip, want a valid document", f, errs)
			}
		}
	})
}
