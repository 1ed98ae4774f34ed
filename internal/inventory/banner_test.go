package inventory

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestBannerSettings breaks one banner rule at a time and expects exactly
// the listed field paths, in both languages.
func TestBannerSettings(t *testing.T) {
	tests := []struct {
		name string
		b    BannerSettings
		want []string
	}{
		{"defaults", BannerSettings{}, nil},
		{"all set", BannerSettings{Position: "center", Background: "#101010", Text: "#FAFAFA", Accent: "#ffbf47", AccentText: "#000000",
			ReconsentMonths: 6, AllowedOrigins: []string{"https://shop.example.org", "http://localhost:8080"}, PolicyURL: "https://example.org/privacy"}, nil},
		{"position", BannerSettings{Position: "top"}, []string{"policy.banner.position"}},
		{"colour format", BannerSettings{Background: "white", Accent: "#12345"}, []string{"policy.banner.background", "policy.banner.accent"}},
		{"text contrast", BannerSettings{Text: "#777777"}, []string{"policy.banner.text"}},
		{"button contrast", BannerSettings{AccentText: "#6c8ef0"}, []string{"policy.banner.accent_text"}},
		{"switch contrast", BannerSettings{Accent: "#f0f0f0", AccentText: "#000000"}, []string{"policy.banner.accent"}},
		{"months", BannerSettings{ReconsentMonths: 25}, []string{"policy.banner.reconsent_months"}},
		{"negative months", BannerSettings{ReconsentMonths: -1}, []string{"policy.banner.reconsent_months"}},
		{"origins", BannerSettings{AllowedOrigins: []string{"https://a.example/path", "https://A.example", "ftp://a.example", "https://a.example", "https://a.example"}},
			[]string{"policy.banner.allowed_origins[0]", "policy.banner.allowed_origins[1]", "policy.banner.allowed_origins[2]", "policy.banner.allowed_origins[4]"}},
		{"too many origins", BannerSettings{AllowedOrigins: func() []string {
			var o []string
			for i := range MaxAllowedOrigins + 1 {
				o = append(o, "https://a"+strings.Repeat("x", i)+".example")
			}
			return o
		}()}, []string{"policy.banner.allowed_origins"}},
		{"policy url", BannerSettings{PolicyURL: "example.org/privacy"}, []string{"policy.banner.policy_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Demo()
			d.Policy.Banner = tt.b
			errs := d.Validate()
			if got := fields(errs); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, e := range errs {
				if e.Message == "" || e.FR == "" {
					t.Errorf("%s: a message is missing in English or French", e.Field)
				}
			}
		})
	}
}

// TestContrast checks the WCAG ratios against known values.
func TestContrast(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#777777", "#FFFFFF", 4.48}, {"#1d4ed8", "#ffffff", 6.7}, {"#1f2328", "#ffffff", 15.8}, {"nope", "#ffffff", 0}} {
		if got := Contrast(c.a, c.b); math.Abs(got-c.want) > 0.05 {
			t.Errorf("Contrast(%s, %s): got %.2f, want %.2f", c.a, c.b, got, c.want)
		}
	}
	if e := (BannerSettings{}).Effective(); e.Position != BannerBottom || e.ReconsentMonths != 12 || Contrast(e.Text, e.Background) < MinTextContrast ||
		Contrast(e.AccentText, e.Accent) < MinTextContrast || Contrast(e.Accent, e.Background) < MinControlContrast {
		t.Errorf("defaults %+v fail their own rules", e)
	}
}

// TestBannerRoundTrip: the settings export and import unchanged, and a
// document without them exports as before.
func TestBannerRoundTrip(t *testing.T) {
	d := Demo()
	d.Policy.Banner = BannerSettings{Position: "center", Accent: "#000000", ReconsentMonths: 6, AllowedOrigins: []string{"https://shop.example.org"}}
	roundTrip(t, d)
	y := encode(t, d, FormatYAML)
	if !bytes.Contains(y, []byte("  banner:\n    position: center\n    accent: '#000000'\n    reconsent_months: 6\n    allowed_origins: ['https://shop.example.org']\n")) {
		t.Errorf("YAML of the banner settings:\n%s", y)
	}
	if bytes.Contains(encode(t, Demo(), FormatJSON), []byte(`"banner"`)) {
		t.Error("a document without banner settings exports a banner key")
	}
}
