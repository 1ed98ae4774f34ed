package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// result is what one in-process run of the CLI produced.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs privaq with args in-process, feeding it stdin.
func cli(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

// wantOneLine fails unless s is exactly one line.
func wantOneLine(t *testing.T, what, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("%s: got %q, want exactly one line", what, s)
	}
}

// clearEnv unsets the PRIVAQ_* variables for one test, so that the defaults
// shown in usage texts are the built-in ones.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PRIVAQ_") {
			t.Setenv(name, "")
		}
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestUsageGolden(t *testing.T) {
	clearEnv(t)
	r := cli(t, "", "--help")
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("privaq --help: got exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
	golden(t, "usage.golden", r.stdout)

	// Every command's -h, in one file: flags and their defaults are part
	// of the interface operators script against.
	var all strings.Builder
	for _, c := range commands {
		r := cli(t, "", append(strings.Fields(c.name), "-h")...)
		if r.code != exitOK || r.stderr != "" {
			t.Errorf("privaq %s -h: got exit %d, stderr %q; want 0 and nothing", c.name, r.code, r.stderr)
		}
		all.WriteString("$ privaq " + c.name + " -h\n" + r.stdout + "\n")
	}
	golden(t, "commands.golden", all.String())
}

func TestUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"missing subcommand", []string{"org"}, exitUsage, "missing subcommand"},
		{"unknown subcommand", []string{"org", "delete"}, exitUsage, `unknown subcommand "delete"`},
		{"unknown flag", []string{"org", "create", "--data", data, "--bogus", "--slug", "x", "--name", "X"}, exitUsage, "flag provided but not defined: -bogus"},
		{"missing flags", []string{"org", "create", "--data", data}, exitUsage, "missing --slug, --name"},
		{"stray argument", []string{"token", "create", "--data", data, "--org", "x", "--role", "staff", "extra"}, exitUsage, `unexpected argument "extra"`},
		{"bad role", []string{"user", "add", "--data", data, "--org", "x", "--email", "a@example.org", "--role", "integration"}, exitUsage, "--role must be officer, staff or auditor"},
		{"bad regime", []string{"org", "create", "--data", data, "--slug", "x", "--name", "X", "--regime", "federal"}, exitUsage, "--regime must be"},
		{"stdin without format", []string{"inventory", "import", "--data", data, "--org", "x", "-"}, exitUsage, "needs --format"},
		{"import without file", []string{"inventory", "import", "--data", data, "--org", "x"}, exitUsage, "missing argument"},
		{"bad database url", []string{"migrate", "--data", data, "--database-url", "mysql://x"}, exitFailure, "--database-url must start with postgres://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, "", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing", r.stdout)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr: got %q, want it to contain %q", r.stderr, tc.want)
			}
			if len(tc.args) > 0 {
				wantOneLine(t, "stderr", r.stderr)
				if !strings.HasPrefix(r.stderr, "privaq: ") {
					t.Errorf("stderr: got %q, want it to start with \"privaq: \"", r.stderr)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := cli(t, "", args...)
		if r.code != exitOK || r.stdout != "privaq "+buildVersion()+"\n" {
			t.Errorf("privaq %s: got exit %d, stdout %q; want 0 and %q", args[0], r.code, r.stdout, "privaq "+buildVersion()+"\n")
		}
	}
}
