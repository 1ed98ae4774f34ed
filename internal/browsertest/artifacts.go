package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Root returns the root of the repository: the nearest directory above the
// test's working directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = up
	}
}

// Dir returns artifacts/browser at the root of the repository, where the
// screenshots and other files of the browser tests go.
func Dir(t testing.TB) string {
	t.Helper()
	return filepath.Join(Root(t), "artifacts", "browser")
}

// Save writes data to name under Dir (name may hold a subdirectory and has
// its extension) and returns the path.
func Save(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(Dir(t), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("artifact directory: %v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	t.Logf("saved %s", path)
	return path
}

// Screenshot saves a full-page PNG of the tab's page as name.png under Dir
// and returns the path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png := Run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	return Save(t, name+".png", png)
}

// ShotOnFailure keeps the page the test ends on when it fails, as
// failed-<test name>.png under Dir.
func ShotOnFailure(t testing.TB, ctx context.Context) {
	t.Helper()
	dir := Dir(t)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		path := filepath.Join(dir, failedName(t.Name())+".png")
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil && os.MkdirAll(dir, 0o755) == nil {
			if os.WriteFile(path, png, 0o644) == nil {
				t.Logf("screenshot of the failure: %s", path)
			}
		}
	})
}

// failedName is the file name, without extension, of the failure
// screenshot of the test named name.
func failedName(name string) string {
	return "failed-" + strings.NewReplacer("/", "-", " ", "_").Replace(name)
}
