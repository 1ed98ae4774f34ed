package org

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"privaq"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes) would
// do; we take 64 MiB and 1 pass with 2 lanes, RFC 9106's second choice,
// which costs about 50 ms on the 2-core machines we target.
const (
	argonTime    = 1
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// MinPasswordLength follows NIST SP 800-63B for memorized secrets.
const MinPasswordLength = 12

// HashPassword returns a PHC-formatted argon2id hash.
func HashPassword(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func checkPassword(p string) error {
	switch {
	case !utf8.ValidString(p):
		return privaq.FieldError("password", "the password is not valid UTF-8")
	case utf8.RuneCountInString(p) < MinPasswordLength:
		return privaq.FieldError("password", "the password must have at least %d characters", MinPasswordLength)
	case len(p) > 1024:
		return privaq.FieldError("password", "the password is too long")
	}
	return nil
}

// CheckPassword reports whether password matches a hash from HashPassword.
// The parameters are read from the hash, so stronger settings later still
// verify old hashes.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash makes a failed lookup cost as much as a wrong password, so that
// response times do not tell which emails have accounts. It is computed on
// first use: commands that never sign anyone in should not pay for it.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("privaq-timing-equalizer")
	if err != nil {
		panic("argon2id with fixed parameters failed: " + err.Error())
	}
	return h
})

// GeneratePassword returns a random password for accounts created without one.
func GeneratePassword() string { return secret(15) } // 24 characters
