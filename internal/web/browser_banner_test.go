package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"privaq/internal/browsertest"
)

// bannerAxePages are the cookie banner's settings page as the axe audit
// sees it: as shown, and sent back with a colour that fails WCAG contrast.
func bannerAxePages(ctx context.Context, st *browserStack) []struct {
	name string
	open func(t *testing.T, lang string)
} {
	return []struct {
		name string
		open func(t *testing.T, lang string)
	}{
		{"banner", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "open", chromedp.Navigate(st.org("banner?lang="+lang)))
			if n := browsertest.Run(t, ctx, "count previews", chromedp.Evaluate[int](`document.querySelectorAll('main iframe[title]').length`)); n != 2 {
				t.Errorf("banner page: got %d titled previews, want 2", n)
			}
		}},
		{"banner-form-error", func(t *testing.T, lang string) {
			browsertest.Do(t, ctx, "fill", chromedp.Navigate(st.org("banner?lang="+lang)),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('f-text').value = '#777777'`))
			if status, _ := browsertest.Response(t, ctx, "save", chromedp.Click(chromedp.CSS(`main form[novalidate] button[type=submit]`))); status != http.StatusUnprocessableEntity {
				t.Fatalf("low-contrast colours: got status %d, want 422", status)
			}
		}},
	}
}
