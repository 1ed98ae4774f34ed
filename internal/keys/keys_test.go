package keys

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestMasterKeyFileIsPrivateAndStable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k1, err := LoadOrCreateMaster(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateMaster(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1 != k2 {
		t.Fatal("second start read a different master key")
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "master.key"): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s mode: got %o, want %o", path, got, want)
		}
	}
}

func TestSealOpen(t *testing.T) {
	k := Random()
	ct := k.Seal([]byte("marie@example.org"), []byte("users.email:1"))
	if bytes.Contains(ct, []byte("marie")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	pt, err := k.Open(ct, []byte("users.email:1"))
	if err != nil || string(pt) != "marie@example.org" {
		t.Fatalf("got %q, %v; want the plaintext back", pt, err)
	}
	if _, err := k.Open(ct, []byte("users.email:2")); err != ErrDecrypt {
		t.Errorf("moved ciphertext: got %v, want ErrDecrypt", err)
	}
	if _, err := Random().Open(ct, []byte("users.email:1")); err != ErrDecrypt {
		t.Errorf("other key: got %v, want ErrDecrypt", err)
	}
	ct[len(ct)-1] ^= 1
	if _, err := k.Open(ct, []byte("users.email:1")); err != ErrDecrypt {
		t.Errorf("altered ciphertext: got %v, want ErrDecrypt", err)
	}
}

func TestDeriveAndIndexSeparateUses(t *testing.T) {
	k := Random()
	a1, a2 := k.Derive("a"), k.Derive("a")
	if a1 == k.Derive("b") || a1 != a2 {
		t.Fatal("Derive must be deterministic and label-separated")
	}
	if !bytes.Equal(k.Index("x"), k.Index("x")) || bytes.Equal(k.Index("x"), k.Derive("a").Index("x")) {
		t.Fatal("Index must be deterministic and key-specific")
	}
}

func TestParseMaster(t *testing.T) {
	if _, err := ParseMaster("not base64!"); err == nil {
		t.Error("want an error for bad base64")
	}
	if _, err := ParseMaster("c2hvcnQ="); err == nil {
		t.Error("want an error for a short key")
	}
}
