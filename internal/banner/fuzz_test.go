package banner_test

import (
	"strings"
	"testing"

	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// FuzzChoice feeds the consent endpoint's parser anything a visitor could
// send: it never panics, and what it accepts maps to records of the
// organization's optional categories only, one per category, for a
// well-formed visitor id.
func FuzzChoice(f *testing.F) {
	for _, s := range []string{
		`{"visitor":"0123456789abcdef0123456789abcdef","revision":"ab12","categories":{"statistics":true},"gpc":false,"action":"custom"}`,
		`{"visitor":"0123456789abcdef0123456789abcdef","revision":"ab12","categories":{"necessary":true,"marketing":false},"gpc":true,"action":"gpc"}`,
		`{"categories":{"__proto__":true}}`, `[]`, `null`, `{"visitor":1}`, `{} {}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	c := banner.Build(inventory.Demo(), "demo")
	f.Fuzz(func(t *testing.T, body []byte) {
		ch, err := banner.DecodeChoice(body)
		if err != nil {
			return
		}
		in, err := banner.Inputs(ch, c, "https://a.example")
		if err != nil {
			return
		}
		if len(in) == 0 || len(in) > len(c.Optional()) {
			t.Fatalf("%q: %d records for %d optional categories", body, len(in), len(c.Optional()))
		}
		seen := map[string]bool{}
		for _, x := range in {
			if !strings.HasPrefix(x.Purpose, consent.CookiePrefix) || x.Purpose == "cookies.necessary" || seen[x.Purpose] || x.Subject != ch.Visitor || len(x.Subject) != 32 {
				t.Fatalf("%q: bad record %+v", body, x)
			}
			seen[x.Purpose] = true
		}
	})
}
