package org

import (
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("got %q, want a PHC argon2id hash", h)
	}
	if h2, _ := HashPassword("correct horse battery staple"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	cases := []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse battery staple", true},
		{h, "correct horse battery stapl", false},
		{h, "", false},
		{"$argon2id$v=19$m=65536,t=1,p=2$AAAA", "x", false},
		{"$bcrypt$whatever", "x", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := CheckPassword(c.hash, c.pw); got != c.want {
			t.Errorf("CheckPassword(%.30q, %q): got %v, want %v", c.hash, c.pw, got, c.want)
		}
	}
}

func TestPasswordRules(t *testing.T) {
	for _, pw := range []string{"short", strings.Repeat("x", 1025), "\xff\xfe invalid utf-8 \xff"} {
		if _, err := HashPassword(pw); err == nil {
			t.Errorf("HashPassword(%.20q): got no error, want one", pw)
		}
	}
	if g := GeneratePassword(); len(g) != 24 || g == GeneratePassword() {
		t.Errorf("GeneratePassword: got %q, want 24 random characters", g)
	}
}

func TestValidSlug(t *testing.T) {
	for slug, ok := range map[string]bool{"demo": true, "a": true, "entraide-rive-sud": true, "a1-b2": true,
		"": false, "-a": false, "a-": false, "Demo": false, "é": false, "a_b": false, strings.Repeat("a", 41): false} {
		if got := ValidSlug(slug) == nil; got != ok {
			t.Errorf("ValidSlug(%q): got %v, want %v", slug, got, ok)
		}
	}
}
