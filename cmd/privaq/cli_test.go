package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"privaq/internal/inventory"
	"privaq/internal/store/storetest"
)

// engineArgs returns the storage flags of a fresh database on engine e.
func engineArgs(t *testing.T, e storetest.Engine) []string {
	t.Helper()
	args := []string{"--data", t.TempDir()}
	if u := e.URL(t); u != "" {
		args = append(args, "--database-url", u)
	}
	return args
}

// TestCLI runs the operator commands against each engine, the way an
// operator would: create an organization, its staff and a token, import an
// inventory and export it back unchanged, then the usual mistakes.
func TestCLI(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := engineArgs(t, e)
			// do runs a command with the storage flags appended.
			do := func(stdin string, args ...string) result {
				t.Helper()
				return cli(t, stdin, append(args, db...)...)
			}
			ok := func(stdin string, args ...string) string {
				t.Helper()
				r := do(stdin, args...)
				if r.code != exitOK {
					t.Fatalf("privaq %s: got exit %d, stderr %q; want 0", strings.Join(args, " "), r.code, r.stderr)
				}
				return r.stdout
			}
			fail := func(code int, stdin string, args ...string) string {
				t.Helper()
				r := do(stdin, args...)
				if r.code != code {
					t.Fatalf("privaq %s: got exit %d, stderr %q; want %d", strings.Join(args, " "), r.code, r.stderr, code)
				}
				if r.stdout != "" {
					t.Errorf("privaq %s: stdout %q, want nothing", strings.Join(args, " "), r.stdout)
				}
				wantOneLine(t, "stderr", r.stderr)
				return r.stderr
			}

			if got := ok("", "migrate"); !regexp.MustCompile(`^` + e.Name + ` database schema is up to date \(version [1-9][0-9]*\)\n$`).MatchString(got) {
				t.Errorf("migrate: got %q", got)
			}
			if got := ok("", "org", "create", "--slug", "acme", "--name", "Acme inc.", "--regime", "private", "--lang", "en"); got != "acme\n" {
				t.Errorf("org create: got %q, want the slug alone", got)
			}

			// A generated password is printed alone; a given one is not.
			pw := ok("", "user", "add", "--org", "acme", "--email", "Officer@Acme.example", "--role", "officer", "--name", "Olivia Officer")
			if !regexp.MustCompile(`^[a-z2-7]{24}\n$`).MatchString(pw) {
				t.Errorf("user add: got %q, want a generated password alone", pw)
			}
			if got := ok("correct horse battery staple\n", "user", "add", "--org", "acme", "--email", "staff@acme.example", "--role", "staff", "--password-stdin"); got != "" {
				t.Errorf("user add --password-stdin: got stdout %q, want nothing", got)
			}
			if got := ok("", "user", "add", "--org", "acme", "--email", "root@acme.example", "--role", "auditor", "--admin"); len(got) != 25 {
				t.Errorf("user add --admin: got %q, want a generated password alone", got)
			}
			// Adding an existing account again changes only its role, and
			// says that the password was left alone.
			for _, stdin := range []string{"", "another long password\n"} {
				args := []string{"user", "add", "--org", "acme", "--email", "officer@acme.example", "--role", "auditor"}
				if stdin != "" {
					args = append(args, "--password-stdin")
				}
				r := do(stdin, args...)
				if r.code != exitOK || r.stdout != "" || !strings.Contains(r.stderr, "password is unchanged") {
					t.Errorf("user add (existing, stdin %q): got exit %d, stdout %q, stderr %q; want 0, nothing, a note", stdin, r.code, r.stdout, r.stderr)
				}
			}

			tok := ok("", "token", "create", "--org", "acme", "--role", "integration", "--name", "website")
			if !strings.HasPrefix(tok, "pq_") || strings.Count(tok, "\n") != 1 || !strings.HasSuffix(tok, "\n") {
				t.Errorf("token create: got %q, want one line starting with pq_", tok)
			}

			// Import, then export: the same bytes come back, in both formats.
			src, err := os.ReadFile("testdata/demo.yaml")
			if err != nil {
				t.Fatal(err)
			}
			sum := ok("", "inventory", "import", "--org", "acme", "testdata/demo.yaml")
			if !regexp.MustCompile(`^imported the inventory of acme \(revision \d+\): \d+ purposes, .*; compliance check: \d+ errors?, \d+ warnings?, \d+ notes?\n$`).MatchString(sum) {
				t.Errorf("inventory import: got %q, want a one-line summary", sum)
			}
			if got := ok("", "inventory", "export", "--org", "acme"); got != string(src) {
				t.Errorf("inventory export differs from the imported file:\n%s", firstDiff(got, string(src)))
			}
			js := ok("", "inventory", "export", "--org", "acme", "--format", "json")
			ok(js, "inventory", "import", "--org", "acme", "--format", "json", "-")
			if got := ok("", "inventory", "export", "--org", "acme"); got != string(src) {
				t.Errorf("export after a JSON round trip differs:\n%s", firstDiff(got, string(src)))
			}

			// Bad input: one line on stderr, nothing written.
			if got := fail(exitUsage, "", "org", "create", "--slug", "x", "--name", "X", "--colour", "red"); !strings.Contains(got, "-colour") {
				t.Errorf("unknown flag: got %q", got)
			}
			if got := fail(exitFailure, "", "org", "create", "--slug", "Bad_Slug", "--name", "X"); got != "privaq: org create: slug: the slug must be 1 to 40 lower-case letters, digits or hyphens, not starting or ending with a hyphen\n" {
				t.Errorf("bad slug: got %q", got)
			}
			if got := fail(exitFailure, "", "org", "create", "--slug", "acme", "--name", "Other"); !strings.Contains(got, "already exists") {
				t.Errorf("duplicate org: got %q, want already exists", got)
			}
			if got := fail(exitFailure, "", "token", "create", "--org", "nobody", "--role", "staff"); !strings.Contains(got, `no organization with slug "nobody"`) {
				t.Errorf("unknown org: got %q", got)
			}
			if got := fail(exitFailure, "short\n", "user", "add", "--org", "acme", "--email", "new@acme.example", "--role", "staff", "--password-stdin"); !strings.Contains(got, "password: the password must have at least") {
				t.Errorf("short password: got %q", got)
			}
			if got := fail(exitFailure, "", "user", "add", "--org", "acme", "--email", "not an email", "--role", "staff"); !strings.Contains(got, "email: ") {
				t.Errorf("bad email: got %q", got)
			}
			if got := fail(exitFailure, "", "inventory", "import", "--org", "acme", "testdata/unknown_field.yaml"); !strings.Contains(got, "purposes[0].nmae: ") {
				t.Errorf("unknown field: got %q, want it to name purposes[0].nmae", got)
			}
			got := fail(exitFailure, "", "inventory", "import", "--org", "acme", "testdata/invalid.yaml")
			if !regexp.MustCompile(`^privaq: inventory import: [a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*: .+ \(and \d+ more\)\n$`).MatchString(got) {
				t.Errorf("invalid inventory: got %q, want field: message (and N more)", got)
			}
			if got := fail(exitFailure, "", "inventory", "import", "--org", "acme", "testdata/missing.yaml"); !strings.Contains(got, "no such file") {
				t.Errorf("missing file: got %q", got)
			}
			if got := fail(exitFailure, "", "inventory", "import", "--org", "acme", "testdata/usage.golden"); !strings.Contains(got, "cannot tell the format") {
				t.Errorf("unknown extension: got %q", got)
			}
			if got := ok("", "inventory", "export", "--org", "acme"); got != string(src) {
				t.Errorf("a rejected import changed the inventory:\n%s", firstDiff(got, string(src)))
			}
		})
	}
}

// TestDemoTestdata keeps testdata/demo.yaml equal to the sample inventory
// (regenerate with -update).
func TestDemoTestdata(t *testing.T) {
	var b strings.Builder
	if err := inventory.Demo().Encode(&b, inventory.FormatYAML); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.yaml", b.String())
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + g[i] + "\n want " + w[i]
		}
	}
	return "lengths differ: got " + strconv.Itoa(len(g)) + " lines, want " + strconv.Itoa(len(w))
}
