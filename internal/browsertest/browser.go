// Package browsertest drives Debian's headless Chromium from Go tests: it
// starts the browser, runs chromedp actions that fail the test with what was
// being done, audits pages with axe-core and saves screenshots and other
// artifacts under artifacts/browser/ at the root of the repository.
//
// Without Chromium or axe-core the tests that use it are skipped, unless
// REQUIRE_BROWSER=1 (as in CI) turns the skip into a failure. Only tests
// import it.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Exec is the Chromium of the Debian package.
const Exec = "/usr/bin/chromium"

// Required reports whether a missing browser or axe-core must fail the test
// rather than skip it.
func Required() bool { return os.Getenv("REQUIRE_BROWSER") == "1" }

// missing skips the test, or fails it when the browser is required.
func missing(t testing.TB, what, hint string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (REQUIRE_BROWSER=1); %s: %v", what, hint, err)
	}
	t.Skipf("%s is missing, skipping (%s; set REQUIRE_BROWSER=1 to fail instead): %v", what, hint, err)
}

// Start launches one headless Chromium, with a profile of its own, for the
// whole test and returns the context of its first tab. The timeout bounds
// the whole run: it sits on the allocator's parent, so that a hung browser
// is killed rather than waited for. Start also removes the failure
// screenshots an earlier run of this test left (see ShotOnFailure).
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(Exec); err != nil {
		missing(t, Exec, "install the chromium package", err)
	}
	stale, _ := filepath.Glob(filepath.Join(Dir(t), failedName(t.Name())+"-*.png"))
	for _, f := range append(stale, filepath.Join(Dir(t), failedName(t.Name())+".png")) {
		os.Remove(f) // only this run's failures stay
	}
	parent, cancelParent := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancelParent)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(Exec),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // the tests run as root in containers
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", Exec, err)
	}
	return ctx
}

// Tab opens a tab of browser in a browser context of its own, so that
// cookies and storage never leak from one tab to another.
func Tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// Do runs steps in the tab ctx, failing the test with what was being done.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Run runs one action that returns a value, failing the test with what was
// being done.
func Run[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Response runs steps that load a page (a navigation, or a click on a link
// or a submit button) and returns the final HTTP status and URL.
func Response(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) (int, string) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return int(resp.Status), resp.URL
}
