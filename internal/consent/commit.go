package consent

import (
	"context"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"privaq"
)

// Writer appends records with group commit: one goroutine takes every
// request waiting, writes them all in one transaction (one batch and one
// signed head per organization), then answers each. Under load, the
// requests that arrive while a commit is on disk share the next one, so
// the cost of a durable commit is spread over many records.
type Writer struct {
	Store Store
	Clock privaq.Clock
	Log   *slog.Logger
	in    chan *pending
}

type pending struct {
	org      privaq.OrgID
	recs     []Record
	receipts []Receipt
	done     chan error
}

// maxCommit bounds the records of one transaction, so that one commit
// stays short and a burst is spread over a few.
const maxCommit = 20000

// NewWriter returns a writer; Run must be started before Append is used.
func NewWriter(s Store, c privaq.Clock, log *slog.Logger) *Writer {
	return &Writer{Store: s, Clock: c, Log: log, in: make(chan *pending, 4096)}
}

// Run commits until ctx ends; requests still queued then are answered
// with an error.
func (w *Writer) Run(ctx context.Context) {
	for {
		var first *pending
		select {
		case <-ctx.Done():
			return
		case first = <-w.in:
		}
		group := []*pending{first}
		n := len(first.recs)
	drain:
		for n < maxCommit {
			select {
			case p := <-w.in:
				group = append(group, p)
				n += len(p.recs)
			default:
				break drain
			}
		}
		err := w.commit(context.WithoutCancel(ctx), group)
		if err != nil {
			w.Log.ErrorContext(ctx, "ledger_commit_failed", "records", n, "err", err)
		}
		for _, p := range group {
			p.done <- err
		}
	}
}

// Append writes recs for org and returns their receipts once they are
// durable. The records are committed even if ctx ends while waiting.
func (w *Writer) Append(ctx context.Context, org privaq.OrgID, recs []Record) ([]Receipt, error) {
	for i := range recs {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		recs[i].ID, recs[i].OrgID = id.String(), org
	}
	p := &pending{org: org, recs: recs, done: make(chan error, 1)}
	select {
	case w.in <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := <-p.done; err != nil {
		return nil, err
	}
	return p.receipts, nil
}

func (w *Writer) commit(ctx context.Context, group []*pending) error {
	byOrg := map[privaq.OrgID][]*pending{}
	var orgs []privaq.OrgID
	for _, p := range group {
		if _, ok := byOrg[p.org]; !ok {
			orgs = append(orgs, p.org)
		}
		byOrg[p.org] = append(byOrg[p.org], p)
	}
	return w.Store.AppendLedger(ctx, orgs, func(org privaq.OrgID, tip Tip, key SigningKey) (*Batch, error) {
		return seal(org, tip, key, w.Clock.Now(), byOrg[org]), nil
	})
}

// seal numbers, chains and signs the records of one organization's
// requests, and gives each request its receipts.
func seal(org privaq.OrgID, tip Tip, key SigningKey, now time.Time, ps []*pending) *Batch {
	now = now.UTC().Truncate(time.Microsecond)
	b := &Batch{}
	for _, p := range ps {
		b.Records = append(b.Records, p.recs...)
	}
	batch := tip.LastBatch + 1
	prev := tip.LastHash
	prevs := make([][]byte, len(b.Records))
	canon := make([][]byte, len(b.Records))
	leaves := make([][]byte, len(b.Records))
	for i := range b.Records {
		r := &b.Records[i]
		r.Seq, r.Batch, r.RecordedAt = tip.LastSeq+int64(i)+1, batch, now
		canon[i] = Canonical(int64(org), r)
		prevs[i] = prev
		r.Hash = ChainHash(prev, canon[i])
		leaves[i], prev = r.Hash, r.Hash
	}
	root, proofs := allProofs(leaves)
	b.Head = Head{Org: int64(org), Batch: batch, FirstSeq: tip.LastSeq + 1, LastSeq: tip.LastSeq + int64(len(b.Records)),
		ChainHash: hex.EncodeToString(prev), Root: hex.EncodeToString(root), SignedAt: now, KeyID: key.ID}
	b.Head.Sign(key.Private)
	i := 0
	for _, p := range ps {
		p.receipts = make([]Receipt, len(p.recs))
		for j := range p.recs {
			p.recs[j] = b.Records[i]
			proof := make([]string, len(proofs[i]))
			for k, h := range proofs[i] {
				proof[k] = hex.EncodeToString(h)
			}
			p.receipts[j] = Receipt{Version: 1, Canonical: string(canon[i]), PrevHash: hex.EncodeToString(prevs[i]),
				Hash: hex.EncodeToString(b.Records[i].Hash), Index: i, Proof: proof, Head: b.Head}
			i++
		}
	}
	return b
}

// allProofs returns the Merkle root of leaves and every leaf's inclusion
// proof in one pass, O(n log n), where one MerkleProof per leaf would be
// O(n²) for a large batch.
func allProofs(leaves [][]byte) ([]byte, [][][]byte) {
	switch len(leaves) {
	case 0:
		return MerkleRoot(nil), nil
	case 1:
		return leafHash(leaves[0]), [][][]byte{nil}
	}
	k := split(len(leaves))
	lr, lp := allProofs(leaves[:k])
	rr, rp := allProofs(leaves[k:])
	for i := range lp {
		lp[i] = append(lp[i], rr)
	}
	for i := range rp {
		rp[i] = append(rp[i], lr)
	}
	return nodeHash(lr, rr), append(lp, rp...)
}
