package audit

import "testing"

func TestTruncateIP(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77:51234":        "203.0.113.0/24",
		"203.0.113.77":              "203.0.113.0/24",
		"[2001:db8:abcd:12::1]:443": "2001:db8:abcd::/48",
		"::ffff:198.51.100.9":       "198.51.100.0/24",
		"not an address":            "",
		"":                          "",
	} {
		if got := TruncateIP(in); got != want {
			t.Errorf("TruncateIP(%q): got %q, want %q", in, got, want)
		}
	}
}
