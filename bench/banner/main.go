// Command banner measures the cookie banner as a visitor meets it (issue
// 7): the size of banner.js gzip, and the time from navigation start to
// the dialog being on screen, in Debian's headless Chromium, on a simple
// page that embeds the banner with its one script tag. Each run uses a
// fresh browser context (empty cache, no cookie, new connections); the
// median of the runs is the figure, after one warm-up run that fills
// privaq's own cache of the built script.
//
// The time is performance.now() in the first animation frame after the
// banner's host element enters the page, read by an observer the page
// installs before banner.js loads: the frame in which the dialog is
// painted. Run: go run ./bench/banner [-runs 9].
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"privaq"
	"privaq/internal/banner"
	"privaq/internal/consent"
	"privaq/internal/inventory"
	"privaq/internal/keys"
	"privaq/internal/org"
	"privaq/internal/store"
)

// page is the simple test page: a heading, a paragraph, the banner.
const page = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Page de test</title>
<script>
new MutationObserver((ms, o) => {
	if (!document.getElementById('privaq-banner')) return;
	o.disconnect();
	requestAnimationFrame(() => { window.bannerShown = performance.now(); });
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
<script src="%s/o/bench/banner.js" async></script>
</head>
<body>
<h1>Bienvenue</h1>
<p>Une page simple qui intègre la bannière de témoins.</p>
</body>
</html>
`

func main() {
	runs := flag.Int("runs", 9, "measured runs, each in a fresh browser context")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	flag.Parse()
	if err := run(*runs, *chromium, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/banner:", err)
		os.Exit(1)
	}
}

func run(runs int, chromium string, out io.Writer) error {
	if runs < 5 {
		return errors.New("-runs must be at least 5 for a median to mean something")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "privaq-bench-banner-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, "", dir, keys.Random())
	if err != nil {
		return err
	}
	defer db.Close()
	clock := privaq.SystemClock{}
	o, err := (&org.Service{Store: db, Clock: clock}).CreateOrg(ctx, privaq.System(0), "bench", "Bench", inventory.RegimePrivate, "fr")
	if err != nil {
		return err
	}
	if _, err := (&inventory.Service{Store: db}).Replace(ctx, privaq.System(o.ID), o.ID, inventory.Demo()); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := consent.NewWriter(db, clock, log)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.Run(wctx)
	b, err := banner.New(banner.Config{Orgs: db, Inventory: db, Clock: clock, Log: log, Attempts: db,
		Ledger: &consent.Service{Store: db, Writer: w, Sources: db, Audit: db, Clock: clock}})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	b.Routes(mux, "/o/{org}")
	privaqURL, stopPrivaq, err := serve(mux)
	if err != nil {
		return err
	}
	defer stopPrivaq()
	hostURL, stopHost, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, privaqURL)
	}))
	if err != nil {
		return err
	}
	defer stopHost()

	size, err := gzipSize(privaqURL + "/o/bench/banner.js")
	if err != nil {
		return err
	}

	parent, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(parent, chromedp.ExecPath(chromium), chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(dir+"/chromium"), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("start %s: %w", chromium, err)
	}
	var times, paints []float64
	for i := range runs + 1 {
		r, err := measure(browser, hostURL)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		if i > 0 { // the first run warms privaq's cache of the built script
			times, paints = append(times, r.Shown), append(paints, r.FirstPaint)
		}
	}
	slices.Sort(times)
	slices.Sort(paints)
	fmt.Fprintf(out, "banner.js (demo inventory, %d cookies): %d bytes gzip (budget %d)\n", len(inventory.Demo().Cookies), size, banner.MaxGzip)
	fmt.Fprintf(out, "navigation start to dialog visible, %d fresh browser contexts: median %.1f ms (min %.1f, max %.1f; goal 125 ms)\n",
		len(times), times[len(times)/2], times[0], times[len(times)-1])
	fmt.Fprintf(out, "the page's own first paint in the same runs: median %.1f ms (the floor: the dialog cannot show before the page does)\n", paints[len(paints)/2])
	return nil
}

// result is one run, in ms after navigation start.
type result struct {
	Shown      float64 // the dialog's frame
	FirstPaint float64 // the page's first paint
}

// measure loads the page in a new browser context and returns when the
// dialog was painted.
func measure(browser context.Context, url string) (result, error) {
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		return result{}, err
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[float64](`window.bannerShown`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		return result{}, err
	}
	return chromedp.Run(tab, chromedp.Evaluate[result](`({Shown: window.bannerShown, FirstPaint: performance.getEntriesByName('first-paint')[0]?.startTime ?? 0})`))
}

// serve listens on a free loopback port.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// gzipSize fetches url as a browser does and returns the bytes sent.
func gzipSize(url string) (int, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.Header.Get("Content-Encoding") != "gzip" {
		return 0, fmt.Errorf("banner.js came back as %q, not gzip", res.Header.Get("Content-Encoding"))
	}
	if _, err := gzip.NewReader(bytes.NewReader(body)); err != nil {
		return 0, err
	}
	return len(body), nil
}
