package main

import (
	"encoding/json"
	"strings"
	"testing"

	"privaq/internal/store/storetest"
)

// TestPolicyRender renders the demo inventory's policy from a SQLite
// database, in each language and format, and checks the usage errors.
func TestPolicyRender(t *testing.T) {
	clearEnv(t)
	db := engineArgs(t, storetest.Engines[0]) // SQLite
	ok := func(args ...string) string {
		t.Helper()
		r := cli(t, "", append(args, db...)...)
		if r.code != exitOK {
			t.Fatalf("privaq %s: got exit %d, stderr %q; want 0", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	ok("org", "create", "--slug", "ejrs", "--name", "Entraide", "--lang", "en")
	ok("inventory", "import", "--org", "ejrs", "testdata/demo.yaml")

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{`<article class="privaq-policy" lang="fr">`, "<h1>Politique de confidentialité — Entraide Jeunesse Rive-Sud</h1>", "Projet, pas encore en vigueur."}},
		{[]string{"--lang", "en", "--format", "md"}, []string{"# Privacy policy — Entraide Jeunesse Rive-Sud", "/o/ejrs/privacy/versions"}},
		{[]string{"--format", "json"}, []string{`"org_name": "Entraide Jeunesse Rive-Sud"`, `"draft": true`}},
	} {
		out := ok(append([]string{"policy", "render", "--org", "ejrs"}, tc.args...)...)
		for _, w := range append(tc.want, "Entraide Jeunesse Rive-Sud", "vieprivee@entraide-jeunesse.example.org") {
			if !strings.Contains(out, w) {
				t.Errorf("policy render %v: output lacks %q", tc.args, w)
			}
		}
		if tc.args != nil && tc.args[len(tc.args)-1] == "json" && !json.Valid([]byte(out)) {
			t.Errorf("policy render --format json: output is not JSON")
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--org", "ejrs", "--lang", "xx"}, exitUsage, `--lang must be fr or en, not "xx"`},
		{[]string{"--org", "ejrs", "--format", "pdf"}, exitUsage, "--format must be html, md or json"},
		{nil, exitUsage, "missing --org"},
		{[]string{"--org", "nobody"}, exitFailure, `no organization with slug "nobody"`},
	} {
		r := cli(t, "", append(append([]string{"policy", "render"}, tc.args...), db...)...)
		if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("policy render %v: got exit %d, stdout %d bytes, stderr %q; want %d, nothing, %q",
				tc.args, r.code, len(r.stdout), r.stderr, tc.code, tc.want)
		}
		wantOneLine(t, "stderr", r.stderr)
	}
}
