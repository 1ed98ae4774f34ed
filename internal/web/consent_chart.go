package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq/internal/consent"
	"privaq/internal/inventory"
)

// The dashboard's consent chart: the share of consents granted among the
// decisions recorded each week, one line per purpose, drawn on the server
// as SVG (no script under the CSP). Colour is never the only cue: each
// line has its own dash pattern and marker shape, a legend names them,
// and a table gives every value.

// chartWeeks is how far back the chart looks.
const chartWeeks = 12

// Geometry of the chart, in SVG user units; CSS scales it to the card.
const (
	chartW, chartH                 = 720, 290
	chartLeft, chartRight          = 56, 16
	chartTop, chartBottom          = 14, 44
	chartPalette                   = 8 // colours and dash patterns in app.css
	chartMarkSize                  = 4.5
	chartPlotW, chartPlotH float64 = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
)

type consentChart struct {
	Empty         bool
	Span          int // weeks shown
	Title, Desc   string
	Width, Height int
	Left, Right   int // the plot area's edges
	Top, Bottom   int
	YLabelX       int // where the percentages end, left of the plot
	XLabelY       int // the baseline of the week labels, below the plot
	YTicks        []chartTick
	XTicks        []chartTick
	Series        []chartSeries
	// The table alternative: one row per week, one column per purpose.
	Weeks []chartRow
}

type chartTick struct {
	At    string // the position along the axis
	Label string
}

type chartSeries struct {
	Name  string
	Class string   // colour and dash pattern
	Lines []string // one polyline per run of consecutive weeks with decisions
	Marks []chartMark
	Shape string // the marker's path, for the legend
}

type chartMark struct {
	Path, Title string
}

type chartRow struct {
	Week  string
	Cells []string // "" for a week without decisions
}

// consentChart reads the last weeks' tallies and lays the chart out.
func (w *Web) consentChart(ctx context.Context, q *req, doc *inventory.Document) (*consentChart, error) {
	rates, err := w.Consents.WeeklyRates(ctx, q.actor, q.org.ID, chartWeeks)
	if err != nil {
		return nil, err
	}
	rates.Purposes = notBanner(rates.Purposes)
	c := &consentChart{Width: chartW, Height: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Bottom: chartTop + int(chartPlotH),
		YLabelX: chartLeft - 8, XLabelY: chartTop + int(chartPlotH) + 20, Span: chartWeeks}
	n := len(rates.Periods)
	from, to := rates.Periods[0], rates.End().Add(-24*time.Hour)
	c.Title = q.T("dash.consents.title")
	if len(rates.Purposes) == 0 {
		c.Empty = true
		return c, nil
	}
	// Purposes in the inventory's order; keys since removed come last.
	names := map[string]string{}
	order := map[string]int{}
	for i, p := range doc.Purposes {
		names[p.Key], order[p.Key] = q.In(p.Name), i
	}
	ps := rates.Purposes
	slices.SortStableFunc(ps, func(a, b consent.PurposeRates) int {
		ia, oka := order[a.Purpose]
		ib, okb := order[b.Purpose]
		switch {
		case oka && !okb:
			return -1
		case okb && !oka:
			return 1
		}
		return cmp.Compare(ia, ib)
	})
	c.Desc = q.T("dash.consents.desc", chartDate(q.Page, from, true), chartDate(q.Page, to, true), q.N("dash.consents.purposes", len(ps)))
	band := chartPlotW / float64(n)
	x := func(i int) float64 { return chartLeft + band*(float64(i)+0.5) }
	y := func(rate float64) float64 { return chartTop + chartPlotH*(1-rate) }
	for _, v := range []int{0, 25, 50, 75, 100} {
		c.YTicks = append(c.YTicks, chartTick{At: coord(y(float64(v) / 100)), Label: q.T("dash.consents.percent", v)})
	}
	// Label as many weeks as fit, counting back from the current one.
	step := max(1, int(math.Ceil(56/band)))
	for i, start := range rates.Periods {
		if (n-1-i)%step == 0 {
			c.XTicks = append(c.XTicks, chartTick{At: coord(x(i)), Label: chartDate(q.Page, start, false)})
		}
		c.Weeks = append(c.Weeks, chartRow{Week: q.T("dash.consents.week", chartDate(q.Page, start, true))})
	}
	for si, p := range ps {
		name := names[p.Purpose]
		if name == "" {
			name = p.Purpose
		}
		// Series past the palette pair a colour with another dash pattern,
		// so that no two lines look the same.
		s := chartSeries{Name: name, Class: fmt.Sprintf("c%d d%d", si%chartPalette, (si+si/chartPalette)%chartPalette)}
		shape := si % 4
		s.Shape = markPath(shape, 20, 6)
		var run []string
		flush := func() {
			if len(run) > 1 {
				s.Lines = append(s.Lines, strings.Join(run, " "))
			}
			run = nil
		}
		for i, t := range p.Tallies {
			rate, ok := t.Rate()
			cell := ""
			if ok {
				pct := int(math.Round(rate * 100))
				cell = q.T("dash.consents.cell", pct, t.Granted, t.Total())
				px, py := x(i), y(rate)
				run = append(run, coord(px)+","+coord(py))
				s.Marks = append(s.Marks, chartMark{Path: markPath(shape, px, py), Title: q.T("dash.consents.point", name, c.Weeks[i].Week, cell)})
			} else {
				flush()
			}
			c.Weeks[i].Cells = append(c.Weeks[i].Cells, cell)
		}
		flush()
		c.Series = append(c.Series, s)
	}
	return c, nil
}

// Names are the purposes, in the order of the series, for the table.
func (c *consentChart) Names() []string {
	out := make([]string, len(c.Series))
	for i, s := range c.Series {
		out[i] = s.Name
	}
	return out
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// markPath draws marker shape k (circle, square, triangle, diamond)
// centred on x, y.
func markPath(k int, x, y float64) string {
	r := chartMarkSize
	p := func(pts ...float64) string {
		var b strings.Builder
		for i := 0; i < len(pts); i += 2 {
			if i == 0 {
				b.WriteString("M")
			} else {
				b.WriteString(" L")
			}
			b.WriteString(coord(x+pts[i]) + " " + coord(y+pts[i+1]))
		}
		b.WriteString(" Z")
		return b.String()
	}
	switch k {
	case 1:
		return p(-r, -r, r, -r, r, r, -r, r)
	case 2:
		return p(0, -r*1.2, r*1.1, r*0.8, -r*1.1, r*0.8)
	case 3:
		return p(0, -r*1.3, r*1.3, 0, 0, r*1.3, -r*1.3, 0)
	}
	return fmt.Sprintf("M%s %s a%s %s 0 1 0 %s 0 a%s %s 0 1 0 %s 0 Z",
		coord(x-r), coord(y), coord(r), coord(r), coord(2*r), coord(r), coord(r), coord(-2*r))
}

// chartDate writes a day as people read it: "16 mars 2026", "Mar 16, 2026";
// without the year for the axis.
func chartDate(p *Page, t time.Time, year bool) string {
	months := strings.Split(p.T("dash.consents.months"), "|")
	m := t.Format("01")
	if i := int(t.Month()) - 1; i < len(months) {
		m = months[i]
	}
	switch {
	case p.Lang == "fr" && year:
		return fmt.Sprintf("%d %s %d", t.Day(), m, t.Year())
	case p.Lang == "fr":
		return fmt.Sprintf("%d %s", t.Day(), m)
	case year:
		return fmt.Sprintf("%s %d, %d", m, t.Day(), t.Year())
	}
	return fmt.Sprintf("%s %d", m, t.Day())
}
