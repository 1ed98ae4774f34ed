package web

import (
	"context"
	"math"
	"strings"

	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// The dashboard's banner table: for each cookie category the banner asks
// about, how many choices accepted or refused it over the chart's weeks.
// It reads the same weekly counts as the consent chart (no person's
// record), and draws each rate as a bar of plain SVG, with the number
// beside it so colour and length are never the only cue.

type bannerRates struct {
	Weeks int
	Empty bool
	Rows  []bannerRow
}

type bannerRow struct {
	Category          string // the category's name in the page's language
	Choices, Accepted int
	Refused           int
	Percent           int     // accepted among choices, rounded
	Bar               float64 // the bar's width, of 100
	HasChoices        bool
}

// bannerRates sums the ledger's banner records per category; nil when the
// inventory declares no cookie that needs a choice.
func (w *Web) bannerRates(ctx context.Context, q *req, doc *inventory.Document) (*bannerRates, error) {
	cats := banner.Build(doc, q.org.Slug).Optional()
	if len(cats) == 0 {
		return nil, nil
	}
	rates, err := w.Consents.WeeklyRates(ctx, q.actor, q.org.ID, chartWeeks)
	if err != nil {
		return nil, err
	}
	v := &bannerRates{Weeks: chartWeeks, Empty: true}
	for _, c := range cats {
		row := bannerRow{Category: q.T(consent.CookiePurpose(c))}
		for _, p := range rates.Purposes {
			if p.Purpose != consent.CookiePurpose(c) {
				continue
			}
			for _, t := range p.Tallies {
				row.Accepted += t.Granted
				row.Refused += t.Refused + t.Withdrawn
			}
		}
		row.Choices = row.Accepted + row.Refused
		if row.Choices > 0 {
			v.Empty, row.HasChoices = false, true
			share := float64(row.Accepted) / float64(row.Choices)
			row.Percent, row.Bar = int(math.Round(share*100)), math.Round(share*1000)/10
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// notBanner drops the banner's pseudo-purposes from the consent chart,
// which follows the organization's own purposes: banner choices have
// their table.
func notBanner(ps []consent.PurposeRates) []consent.PurposeRates {
	out := ps[:0:0]
	for _, p := range ps {
		if !strings.HasPrefix(p.Purpose, consent.CookiePrefix) {
			out = append(out, p)
		}
	}
	return out
}
