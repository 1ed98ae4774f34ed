package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeTags are the rule sets the audits run: WCAG 2.0, 2.1 and 2.2 at
// levels A and AA, as far as axe-core can check them automatically.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeFile returns the path of axe-core as npm installs it from
// internal/web/testdata/package.json.
func AxeFile(t testing.TB) string {
	t.Helper()
	return filepath.Join(Root(t), "internal", "web", "testdata", "node_modules", "axe-core", "axe.min.js")
}

// AxeScript reads axe-core, skipping the test when it is not installed
// (failing it when REQUIRE_BROWSER=1).
func AxeScript(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(AxeFile(t))
	if err != nil {
		missing(t, "axe-core", "run npm ci in internal/web/testdata", err)
	}
	return string(b)
}

// Violation is what a test reports of an axe-core violation.
type Violation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []struct{ Target, HTML, Summary string }
}

// AxeResult is the part of axe.run's results the tests read: the IDs of the
// rules that passed and of those that need a human review, and the
// violations.
type AxeResult struct {
	Passes     []string
	Incomplete []string
	Violations []Violation
}

// axeRun runs the rules of the tags %s on the whole document.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: %s}})
	.then(r => ({Passes: r.passes.map(v => v.id), Incomplete: r.incomplete.map(v => v.id), Violations: r.violations.map(v => ({
		ID: v.id, Impact: v.impact || '', Help: v.help, HelpURL: v.helpUrl,
		Nodes: v.nodes.map(n => ({Target: n.target.flat().join(' '), HTML: n.html, Summary: n.failureSummary || ''}))}))}))`

// Axe injects axe-core (script, from AxeScript) into the tab's page, runs
// the AxeTags rules and returns the results.
func Axe(t testing.TB, ctx context.Context, script string) AxeResult {
	t.Helper()
	Do(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](script))
	tags := `['` + strings.Join(AxeTags, `','`) + `']`
	return Run(t, ctx, "run axe-core", chromedp.Evaluate[AxeResult](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
}

// Audit runs Axe on the tab's page and fails the test with one error per
// violation, listing its rule, impact, help and the nodes at fault.
func Audit(t testing.TB, ctx context.Context, script, page string) AxeResult {
	t.Helper()
	res := Axe(t, ctx, script)
	t.Logf("axe %s: %d violations; %d rules passed %v; needs review %v", page, len(res.Violations), len(res.Passes), res.Passes, res.Incomplete)
	for _, v := range res.Violations {
		var b strings.Builder
		fmt.Fprintf(&b, "axe violation on %s: %s (%s): %s\n  %s", page, v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n  - %s\n    %s\n    %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n    "))
		}
		t.Error(b.String())
	}
	return res
}
