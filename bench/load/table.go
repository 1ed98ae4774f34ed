package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
)

// Issue 5's goals: the least ratio to hello-world of a rate test, by
// "engine/test" or by test, and the most seconds of a timed one.
var (
	minRatio = map[string]float64{"sqlite/post": 0.25, "postgres/post": 0.15, "get": 0.5, "get-hot": 0.5}
	maxTime  = map[string]float64{"bulk": 0.5, "verify": 10, "verify-cli": 10}
)

// goal returns the goal of r as text and whether r meets it; the text is
// empty when r has none.
func goal(r Result, hello float64) (string, bool) {
	if g, ok := minRatio[r.Engine+"/"+r.Test]; ok {
		return fmt.Sprintf("≥ %.2f×", g), hello > 0 && r.RPS/hello >= g
	}
	if g, ok := minRatio[r.Test]; ok {
		return fmt.Sprintf("≥ %.2f×", g), hello > 0 && r.RPS/hello >= g
	}
	if g, ok := maxTime[r.Test]; ok {
		return fmt.Sprintf("< %g s", g), r.Seconds < g
	}
	return "", false
}

// table prints every result of the file at path: the rate tests with
// their ratio to the same engine's hello test, then the timed ones.
func table(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var rs []Result
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	// hello-world is measured before and after an engine's tests: the
	// higher figure is the baseline, so that a slow moment of the machine
	// during one of them never makes the ratios look better.
	hello := map[string]float64{}
	for _, r := range rs {
		if isHello(r) {
			hello[r.Engine] = max(hello[r.Engine], r.RPS)
		}
	}
	mem := func(r Result) string {
		if r.RSSMaxKB == 0 {
			return "-"
		}
		return fmt.Sprintf("%d / %d", r.RSSMaxKB>>10, r.HWMKB>>10)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\ttest\treq/s\t× hello\tgoal\tp50 ms\tp99 ms\terrors\t201s\tRSS max / HWM MiB\t")
	for _, r := range rs {
		if r.RPS == 0 {
			continue
		}
		ratio := "-"
		h := hello[r.Engine]
		if h > 0 && !isHello(r) {
			ratio = fmt.Sprintf("%.3f", r.RPS/h)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%.2f\t%.2f\t%d\t%d\t%s\t\n",
			r.Engine, r.Test, r.RPS, ratio, verdict(goal(r, h)), r.P50MS, r.P99MS, r.Errors, r.Status["201"], mem(r))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "engine\ttest\ttime\tgoal\tdetail\tRSS max / HWM MiB")
	for _, r := range rs {
		if r.RPS != 0 {
			continue
		}
		t := fmt.Sprintf("%.3f s", r.Seconds)
		if len(r.RunsMS) > 1 {
			t = fmt.Sprintf("%.3f s median (min %.3f, max %.3f, %d runs)", r.Seconds, slices.Min(r.RunsMS)/1000, slices.Max(r.RunsMS)/1000, len(r.RunsMS))
		}
		detail := r.Note
		if r.Records > 0 && r.Test != "bulk" {
			detail = fmt.Sprintf("%d records; %s", r.Records, r.Note)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Engine, r.Test, t, verdict(goal(r, 0)), detail, mem(r))
	}
	return tw.Flush()
}

// verdict is a goal and whether it is met, or "-" without a goal.
func verdict(goal string, met bool) string {
	switch {
	case goal == "":
		return "-"
	case met:
		return goal + " met"
	}
	return goal + " MISSED"
}

// isHello tells a hello-world measurement, taken before or after an
// engine's tests.
func isHello(r Result) bool { return r.Test == "hello" || r.Test == "hello-after" }
