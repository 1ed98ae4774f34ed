package inventory

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"privaq"
)

// BannerSettings are how the cookie banner looks and behaves (SPEC §8).
// They live in the policy settings, which the store keeps as one JSON
// value: they are versioned with the inventory, exported and imported with
// it, and any change to them bumps the banner's revision, so visitors are
// asked again. Empty fields take the defaults of Effective.
type BannerSettings struct {
	// Position is where the dialog sits: bottom (a bar along the bottom
	// edge) or center (a box in the middle of the window).
	Position string `json:"position,omitempty" yaml:"position,omitempty"`
	// Colours, #rrggbb: the dialog's background and text, and the
	// buttons' and switches' colour and the buttons' text.
	Background string `json:"background,omitempty" yaml:"background,omitempty"`
	Text       string `json:"text,omitempty" yaml:"text,omitempty"`
	Accent     string `json:"accent,omitempty" yaml:"accent,omitempty"`
	AccentText string `json:"accent_text,omitempty" yaml:"accent_text,omitempty"`
	// ReconsentMonths is how long a choice holds before the banner asks
	// again.
	ReconsentMonths int `json:"reconsent_months,omitempty" yaml:"reconsent_months,omitempty"`
	// AllowedOrigins are the websites (scheme://host[:port]) allowed to
	// send choices to the consent endpoint, besides the organization's
	// website and privaq itself.
	AllowedOrigins []string `json:"allowed_origins,omitempty" yaml:"allowed_origins,omitempty,flow"`
	// PolicyURL is where the banner's policy link goes; empty for the
	// policy privaq publishes.
	PolicyURL string `json:"policy_url,omitempty" yaml:"policy_url,omitempty"`
}

// Banner defaults. The colours pass WCAG 2.2 AA: 15.9:1 for the text,
// 6.7:1 for the buttons' text and against the background.
const (
	BannerBottom           = "bottom"
	BannerCenter           = "center"
	DefaultBannerBg        = "#ffffff"
	DefaultBannerText      = "#1f2328"
	DefaultBannerAccent    = "#1d4ed8"
	DefaultBannerAccentTxt = "#ffffff"
	DefaultReconsentMonths = 12
	MaxReconsentMonths     = 24
	MaxAllowedOrigins      = 20
)

// Contrast ratios of WCAG 2.2 AA: 4.5:1 for text (1.4.3) and 3:1 for the
// parts of a control that show its state, such as a switch that is on
// (1.4.11).
const (
	MinTextContrast    = 4.5
	MinControlContrast = 3.0
)

// IsZero reports whether nothing is set, so that documents without
// banner settings export exactly as before.
func (b BannerSettings) IsZero() bool {
	return b.Position == "" && b.Background == "" && b.Text == "" && b.Accent == "" && b.AccentText == "" &&
		b.ReconsentMonths == 0 && len(b.AllowedOrigins) == 0 && b.PolicyURL == ""
}

// Effective returns the settings with the defaults filled in.
func (b BannerSettings) Effective() BannerSettings {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&b.Position, BannerBottom)
	def(&b.Background, DefaultBannerBg)
	def(&b.Text, DefaultBannerText)
	def(&b.Accent, DefaultBannerAccent)
	def(&b.AccentText, DefaultBannerAccentTxt)
	if b.ReconsentMonths == 0 {
		b.ReconsentMonths = DefaultReconsentMonths
	}
	return b
}

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Contrast returns the WCAG contrast ratio of two #rrggbb colours, from 1
// to 21, or 0 when either is not such a colour.
func Contrast(a, b string) float64 {
	la, ok1 := luminance(a)
	lb, ok2 := luminance(b)
	if !ok1 || !ok2 {
		return 0
	}
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// luminance is WCAG's relative luminance of an sRGB colour.
func luminance(c string) (float64, bool) {
	if !colourRE.MatchString(c) {
		return 0, false
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		n, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		s := float64(n) / 255
		if s <= 0.04045 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		l += w * s
	}
	return l, true
}

// Origin returns the origin of a web address (scheme://host[:port],
// lower case), or "" when it is not an http or https address.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

func (v *validator) banner(b *BannerSettings) {
	const p = "policy.banner."
	if b.Position != "" && b.Position != BannerBottom && b.Position != BannerCenter {
		v.add(p+"position", fmt.Sprintf("%q is not a banner position: use bottom or center.", b.Position),
			fmt.Sprintf("« %s » n’est pas une position de bandeau : utilisez bottom (en bas) ou center (au centre).", b.Position))
	}
	colours := true
	for _, c := range []struct{ name, val string }{{"background", b.Background}, {"text", b.Text}, {"accent", b.Accent}, {"accent_text", b.AccentText}} {
		if c.val != "" && !colourRE.MatchString(c.val) {
			colours = false
			v.add(p+c.name, fmt.Sprintf("%q is not a colour: write it as #rrggbb, for example #1d4ed8.", c.val),
				fmt.Sprintf("« %s » n’est pas une couleur : écrivez-la sous la forme #rrggbb, par exemple #1d4ed8.", c.val))
		}
	}
	if colours {
		e := b.Effective()
		for _, c := range []struct {
			field, fg, bg string
			min           float64
			en, fr        string
		}{
			{"text", e.Text, e.Background, MinTextContrast, "the text on the background", "le texte et le fond"},
			{"accent_text", e.AccentText, e.Accent, MinTextContrast, "the buttons' text on their colour", "le texte des boutons et leur couleur"},
			{"accent", e.Accent, e.Background, MinControlContrast, "the buttons and switches against the background", "les boutons ou interrupteurs et le fond"},
		} {
			// WCAG 2.2 AA, 1.4.3 and 1.4.11: the banner must stay readable
			// and its switches' state visible to people with low vision.
			if r := Contrast(c.fg, c.bg); r < c.min {
				v.add(p+c.field,
					fmt.Sprintf("The contrast of %s is %.2f:1: WCAG 2.2 AA requires at least %.1f:1. Choose darker or lighter colours.", c.en, r, c.min),
					fmt.Sprintf("Le contraste entre %s est de %s:1 : les WCAG 2.2 AA exigent au moins %s:1. Choisissez des couleurs plus foncées ou plus claires.", c.fr,
						strings.Replace(fmt.Sprintf("%.2f", r), ".", ",", 1), strings.Replace(fmt.Sprintf("%.1f", c.min), ".", ",", 1)))
			}
		}
	}
	if b.ReconsentMonths < 0 || b.ReconsentMonths > MaxReconsentMonths {
		v.add(p+"reconsent_months",
			fmt.Sprintf("The re-consent period is %d months: it must be from 1 to %d months (0 for the default of %d).", b.ReconsentMonths, MaxReconsentMonths, DefaultReconsentMonths),
			fmt.Sprintf("La période avant de redemander le consentement doit être de 1 à %d mois (0 pour la valeur par défaut de %d ; valeur actuelle : %d).", MaxReconsentMonths, DefaultReconsentMonths, b.ReconsentMonths))
	}
	if len(b.AllowedOrigins) > MaxAllowedOrigins {
		v.add(p+"allowed_origins", fmt.Sprintf("%d origins are listed: the limit is %d.", len(b.AllowedOrigins), MaxAllowedOrigins),
			fmt.Sprintf("%d origines sont indiquées : la limite est de %d.", len(b.AllowedOrigins), MaxAllowedOrigins))
	}
	seen := map[string]bool{}
	for i, o := range b.AllowedOrigins {
		path := fmt.Sprintf("%sallowed_origins[%d]", p, i)
		if !v.line(path, o) {
			continue
		}
		// Only the exact form an Origin header has, so that the endpoint
		// compares strings and a path cannot suggest a finer rule.
		switch canon := Origin(o); {
		case canon == "" || canon != o:
			v.add(path, fmt.Sprintf("%q is not an origin: write only the scheme and host, such as https://www.example.org, in lower case and without a path.", o),
				fmt.Sprintf("« %s » n’est pas une origine : écrivez seulement le protocole et l’hôte, par exemple https://www.exemple.org, en minuscules et sans chemin.", o))
		case seen[o]:
			v.add(path, fmt.Sprintf("%q is listed twice.", o), fmt.Sprintf("« %s » figure deux fois.", o))
		}
		seen[o] = true
	}
	if b.PolicyURL != "" && v.line(p+"policy_url", b.PolicyURL) && Origin(b.PolicyURL) == "" {
		v.add(p+"policy_url", fmt.Sprintf("%q is not a web address: use a full URL starting with https:// or http://.", b.PolicyURL),
			fmt.Sprintf("« %s » n’est pas une adresse web : indiquez une adresse complète commençant par https:// ou http://.", b.PolicyURL))
	}
}

// SetBanner records the banner settings.
func (s *Service) SetBanner(ctx context.Context, actor privaq.Actor, org privaq.OrgID, b BannerSettings) (int64, error) {
	return s.updateAs(ctx, actor, org, privaq.PermBannerWrite, "inventory.update", "policy/banner", func(d *Document) error { d.Policy.Banner = b; return nil })
}
