// Package keys holds privaq's encryption keys and the primitives that use
// them: AES-256-GCM sealing of personal information at rest and HMAC blind
// indexes for looking it up (SPEC §3). One master key, kept outside the
// database, wraps a random data key per organization; destroying an
// organization's wrapped key makes its encrypted data unreadable.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Size is the length of every key, in bytes.
const Size = 32

// Key is a 256-bit secret.
type Key [Size]byte

// ParseMaster decodes a base64 master key, as given in PRIVAQ_MASTER_KEY.
func ParseMaster(s string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return k, fmt.Errorf("master key is not base64: %w", err)
	}
	if len(b) != Size {
		return k, fmt.Errorf("master key must be %d bytes, got %d", Size, len(b))
	}
	copy(k[:], b)
	return k, nil
}

// LoadOrCreateMaster reads DIR/master.key, creating the directory (0700) and
// a new random key (0600) on first start.
func LoadOrCreateMaster(dir string) (Key, error) {
	path := filepath.Join(dir, "master.key")
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseMaster(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Key{}, fmt.Errorf("read master key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Key{}, fmt.Errorf("create key directory: %w", err)
	}
	k := Random()
	// O_EXCL: two processes starting at once must not each write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateMaster(dir)
	}
	if err != nil {
		return Key{}, fmt.Errorf("create master key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(k[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Key{}, fmt.Errorf("write master key: %w", err)
	}
	return k, nil
}

// Random returns a new random key.
func Random() Key {
	var k Key
	if _, err := io.ReadFull(rand.Reader, k[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS RNG never fails on supported systems
	}
	return k
}

// Derive returns a subkey of k for one use, so that one secret never serves
// two purposes (encryption and indexing, instance and organization).
func (k Key) Derive(label string) Key {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("privaq/" + label))
	var d Key
	copy(d[:], m.Sum(nil))
	return d
}

// Seal encrypts plaintext with AES-256-GCM. The additional data binds the
// ciphertext to its place (table, column, row owner) so that a ciphertext
// copied to another row fails to open.
func (k Key) Seal(plaintext, ad []byte) []byte { return k.Cipher().Seal(plaintext, ad) }

// Open decrypts what Seal produced with the same additional data.
func (k Key) Open(ciphertext, ad []byte) ([]byte, error) { return k.Cipher().Open(ciphertext, ad) }

// Cipher is a key ready to seal and open: preparing AES-GCM costs more
// than sealing a short value, so code that seals or opens many values
// with one key keeps its Cipher. It is safe for concurrent use.
type Cipher struct{ gcm cipher.AEAD }

// Cipher prepares k for Seal and Open.
func (k Key) Cipher() Cipher { return Cipher{k.gcm()} }

// Seal is Key.Seal.
func (c Cipher) Seal(plaintext, ad []byte) []byte {
	nonce := make([]byte, c.gcm.NonceSize(), c.gcm.NonceSize()+len(plaintext)+c.gcm.Overhead())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return c.gcm.Seal(nonce, nonce, plaintext, ad)
}

// ErrDecrypt means a ciphertext was altered, moved or sealed under another key.
var ErrDecrypt = errors.New("keys: ciphertext cannot be decrypted")

// Open is Key.Open.
func (c Cipher) Open(ciphertext, ad []byte) ([]byte, error) {
	n := c.gcm.NonceSize()
	if len(ciphertext) < n+c.gcm.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := c.gcm.Open(nil, ciphertext[:n], ciphertext[n:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

func (k Key) gcm() cipher.AEAD {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// Index returns the blind index of value: an HMAC that lets the database
// find equal values without holding them. Callers normalize value first
// (for example, lower-case emails).
func (k Key) Index(value string) []byte {
	return k.Indexer()(value)
}

// Indexer returns Index as a function that reuses one HMAC, for computing
// many indexes in a row (a bulk decision computes 100,000); it must not
// be shared between goroutines.
func (k Key) Indexer() func(value string) []byte {
	m := hmac.New(sha256.New, k[:])
	return func(value string) []byte {
		m.Reset()
		m.Write([]byte(value))
		return m.Sum(nil)
	}
}
