package consent

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The chain: each record's hash is SHA-256(previous hash ‖ canonical
// record), the first record's previous hash being 32 zero bytes, so that
// altering, removing or reordering any record breaks every later hash.
// Each committed batch has a head: the range of sequence numbers, the
// chain hash after its last record, and the Merkle root (RFC 6962) of its
// records' hashes, signed with the organization's Ed25519 key. A receipt
// carries one record, its hashes, its Merkle inclusion proof and the
// signed head: anyone with the public key checks it offline, without
// seeing any other person's record.

// HashSize is the size of every hash in the ledger.
const HashSize = sha256.Size

// Genesis is the previous hash of the first record.
var Genesis = make([]byte, HashSize)

// Canonical is the exact byte string a record's hash covers: JSON with a
// fixed key order, no spaces, times in RFC 3339 UTC with microseconds,
// empty optional fields written as empty strings or null.
func Canonical(org int64, r *Record) []byte {
	var b bytes.Buffer
	b.Grow(256 + len(r.Evidence))
	str := func(key, v string, comma bool) {
		b.WriteByte('"')
		b.WriteString(key) // keys are constants that need no escaping
		b.WriteString(`":`)
		writeJSONString(&b, v)
		if comma {
			b.WriteByte(',')
		}
	}
	b.WriteString(`{"v":1,"org":`)
	b.WriteString(strconv.FormatInt(org, 10))
	b.WriteString(`,"seq":`)
	b.WriteString(strconv.FormatInt(r.Seq, 10))
	b.WriteByte(',')
	str("id", r.ID, true)
	str("subject", r.Subject, true)
	str("subject_category", r.SubjectCategory, true)
	str("purpose", r.Purpose, true)
	str("decision", string(r.Decision), true)
	str("mode", string(r.Mode), true)
	str("channel", r.Channel, true)
	str("given_by", string(r.GivenBy), true)
	str("representative", r.Representative, true)
	b.WriteString(`"policy_version":`)
	b.WriteString(strconv.Itoa(r.PolicyVersion))
	b.WriteString(`,"evidence":`)
	if len(r.Evidence) == 0 {
		b.WriteString("null")
	} else {
		b.Write(r.Evidence)
	}
	b.WriteString(`,"expires_at":`)
	if r.ExpiresAt == nil {
		b.WriteString("null")
	} else {
		b.WriteString(strconv.Quote(stamp(*r.ExpiresAt)))
	}
	b.WriteByte(',')
	str("recorded_at", stamp(r.RecordedAt), false)
	b.WriteByte('}')
	return b.Bytes()
}

// writeJSONString writes v as encoding/json writes a string, which is what
// every stored hash was computed with: plain ASCII as is, anything else
// through encoding/json itself (it escapes <, > and &, and control and
// some Unicode characters, its own way).
func writeJSONString(b *bytes.Buffer, v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(v)
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(v)
	b.WriteByte('"')
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// ChainHash is SHA-256(prev ‖ canonical).
func ChainHash(prev, canonical []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return h.Sum(nil)
}

// Merkle tree of RFC 6962 §2.1 over the record hashes of a batch.
func leafHash(h []byte) []byte {
	s := sha256.New()
	s.Write([]byte{0})
	s.Write(h)
	return s.Sum(nil)
}

func nodeHash(l, r []byte) []byte {
	s := sha256.New()
	s.Write([]byte{1})
	s.Write(l)
	s.Write(r)
	return s.Sum(nil)
}

// split is the largest power of two smaller than n (n ≥ 2).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// MerkleRoot is the root of the leaves' tree.
func MerkleRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return leafHash(leaves[0])
	}
	k := split(len(leaves))
	return nodeHash(MerkleRoot(leaves[:k]), MerkleRoot(leaves[k:]))
}

// MerkleProof is the inclusion proof of leaf m: the sibling hashes from
// the bottom of the tree to the top.
func MerkleProof(leaves [][]byte, m int) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(MerkleProof(leaves[:k], m), MerkleRoot(leaves[k:]))
	}
	return append(MerkleProof(leaves[k:], m-k), MerkleRoot(leaves[:k]))
}

// rootFromProof recomputes the root from leaf m of n and its proof.
func rootFromProof(leaf []byte, m, n int, proof [][]byte) ([]byte, bool) {
	if n == 1 {
		return leafHash(leaf), len(proof) == 0
	}
	if len(proof) == 0 || m < 0 || m >= n {
		return nil, false
	}
	k := split(n)
	top, rest := proof[len(proof)-1], proof[:len(proof)-1]
	if m < k {
		l, ok := rootFromProof(leaf, m, k, rest)
		return nodeHash(l, top), ok
	}
	r, ok := rootFromProof(leaf, m-k, n-k, rest)
	return nodeHash(top, r), ok
}

// Head is the signed summary of one committed batch.
type Head struct {
	Org       int64     `json:"org"`
	Batch     int64     `json:"batch"`
	FirstSeq  int64     `json:"first_seq"`
	LastSeq   int64     `json:"last_seq"`
	ChainHash string    `json:"chain_hash"` // hex, the hash of record LastSeq
	Root      string    `json:"root"`       // hex, the Merkle root of the batch's record hashes
	SignedAt  time.Time `json:"signed_at"`
	KeyID     int       `json:"key_id"`
	Signature string    `json:"signature"` // base64 Ed25519 over SignedBytes
}

// SignedBytes is what the head's signature covers.
func (h *Head) SignedBytes() []byte {
	return fmt.Appendf(nil, "privaq-ledger-head/v1\norg=%d\nbatch=%d\nfirst_seq=%d\nlast_seq=%d\nchain_hash=%s\nroot=%s\nsigned_at=%s\nkey_id=%d\n",
		h.Org, h.Batch, h.FirstSeq, h.LastSeq, h.ChainHash, h.Root, stamp(h.SignedAt), h.KeyID)
}

// Sign signs the head.
func (h *Head) Sign(key ed25519.PrivateKey) {
	h.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, h.SignedBytes()))
}

// Verify checks the head's signature.
func (h *Head) Verify(pub ed25519.PublicKey) bool {
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	return err == nil && len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, h.SignedBytes(), sig)
}

// Receipt proves one record offline.
type Receipt struct {
	Version   int      `json:"receipt_version"`
	Canonical string   `json:"canonical"` // the record, exactly as hashed
	PrevHash  string   `json:"prev_hash"` // hex
	Hash      string   `json:"hash"`      // hex
	Index     int      `json:"index"`     // the record's place in its batch, from 0
	Proof     []string `json:"proof"`     // hex sibling hashes, bottom first
	Head      Head     `json:"head"`
}

// Errors of a receipt check, each naming what does not hold.
var (
	ErrReceiptHash      = errors.New("the record's hash does not match its canonical form and previous hash")
	ErrReceiptProof     = errors.New("the record is not in the signed batch (Merkle proof fails)")
	ErrReceiptSignature = errors.New("the batch head's signature does not verify with this public key")
	ErrReceiptForm      = errors.New("the receipt is malformed")
)

// VerifyReceipt checks a receipt with the organization's public key.
func VerifyReceipt(r *Receipt, pub ed25519.PublicKey) error {
	prev, err1 := hex.DecodeString(r.PrevHash)
	hash, err2 := hex.DecodeString(r.Hash)
	if err1 != nil || err2 != nil || len(prev) != HashSize || len(hash) != HashSize || r.Version != 1 ||
		r.Head.LastSeq < r.Head.FirstSeq || r.Head.LastSeq-r.Head.FirstSeq >= 1<<20 {
		return ErrReceiptForm
	}
	if !bytes.Equal(ChainHash(prev, []byte(r.Canonical)), hash) {
		return ErrReceiptHash
	}
	var rec struct {
		Org int64 `json:"org"`
		Seq int64 `json:"seq"`
	}
	if err := json.Unmarshal([]byte(r.Canonical), &rec); err != nil || rec.Org != r.Head.Org ||
		rec.Seq != r.Head.FirstSeq+int64(r.Index) || rec.Seq > r.Head.LastSeq {
		return ErrReceiptForm
	}
	proof := make([][]byte, len(r.Proof))
	for i, p := range r.Proof {
		b, err := hex.DecodeString(p)
		if err != nil || len(b) != HashSize {
			return ErrReceiptForm
		}
		proof[i] = b
	}
	n := int(r.Head.LastSeq - r.Head.FirstSeq + 1)
	root, ok := rootFromProof(hash, r.Index, n, proof)
	if !ok || hex.EncodeToString(root) != r.Head.Root {
		return ErrReceiptProof
	}
	if !r.Head.Verify(pub) {
		return ErrReceiptSignature
	}
	return nil
}
