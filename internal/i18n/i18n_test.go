package i18n

import (
	"net/http/httptest"
	"testing"
)

func TestCatalogsComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Missing(); len(m) > 0 {
		t.Fatalf("missing keys: %v", m)
	}
	if got := c.T("en", "no.such.key"); got != "[no.such.key]" {
		t.Errorf("got %q, want the key bracketed", got)
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct{ url, cookie, accept, want string }{
		{"/", "", "", "fr"},
		{"/", "", "en-CA,en;q=0.9", "en"},
		{"/", "", "de-DE, en;q=0.5, fr;q=0.8", "fr"},
		{"/", "en", "fr", "en"},
		{"/?lang=fr", "en", "en", "fr"},
		{"/?lang=xx", "", "en", "en"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.url, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", "lang="+c.cookie)
		}
		r.Header.Set("Accept-Language", c.accept)
		if got := Negotiate(r); got != c.want {
			t.Errorf("%s cookie=%q accept=%q: got %s, want %s", c.url, c.cookie, c.accept, got, c.want)
		}
	}
}

func TestPlural(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{{"fr", 0, "0 avertissement"}, {"fr", 1, "1 avertissement"}, {"fr", 2, "2 avertissements"},
		{"en", 0, "0 warnings"}, {"en", 1, "1 warning"}, {"en", 3, "3 warnings"}} {
		if got := c.N(tc.lang, "dash.warnings", tc.n); got != tc.want {
			t.Errorf("N(%s, %d): got %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}
