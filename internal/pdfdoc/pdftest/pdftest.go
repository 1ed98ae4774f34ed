// Package pdftest reads back the text of a PDF with pdftotext (Debian's
// poppler-utils), so tests check what a reader of the document would
// see: accents, guillemets, apostrophes. Without pdftotext the test is
// skipped, or fails when REQUIRE_BROWSER=1 (CI installs poppler-utils with
// the browser). Only tests import it.
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Text returns the text of pdf as pdftotext -layout writes it, and its
// page count. It fails the test unless pdf starts like a PDF.
func Text(t testing.TB, pdf []byte) (text string, pages int) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("output starts with %q, want %%PDF-", pdf[:min(len(pdf), 8)])
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("REQUIRE_BROWSER") == "1" {
			t.Fatalf("pdftotext is required (REQUIRE_BROWSER=1); install poppler-utils: %v", err)
		}
		t.Skipf("pdftotext is missing, skipping (install poppler-utils; set REQUIRE_BROWSER=1 to fail instead): %v", err)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	raw := string(out)
	return raw, strings.Count(strings.TrimRight(raw, "\f\n"), "\f") + 1
}

// Flat makes every run of white space one space: pdftotext writes both
// no-break spaces as plain spaces and breaks lines where the layout did,
// so text is compared flat.
func Flat(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)), " ")
}
