package consent

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"privaq"
)

// Report is the outcome of a check of the whole chain.
type Report struct {
	OK       bool          `json:"ok"`
	Records  int64         `json:"records"`
	Batches  int           `json:"batches"`
	FirstBad *Bad          `json:"first_bad,omitempty"`
	Took     time.Duration `json:"-"`
	TookMS   int64         `json:"took_ms"`
}

// Bad names the first record (or batch) that does not hold.
type Bad struct {
	Seq     int64  `json:"seq"`
	ID      string `json:"id,omitempty"`
	Batch   int64  `json:"batch,omitempty"`
	Problem string `json:"problem"`
}

// Summary is the one line the CLI prints.
func (r Report) Summary() string {
	if r.OK {
		return fmt.Sprintf("ledger intact: %d records in %d signed batches, checked in %s", r.Records, r.Batches, r.Took.Round(time.Millisecond))
	}
	b := r.FirstBad
	if b.ID != "" {
		return fmt.Sprintf("ledger broken at record %d (%s): %s", b.Seq, b.ID, b.Problem)
	}
	return fmt.Sprintf("ledger broken at record %d: %s", b.Seq, b.Problem)
}

// verifyChunk is how many records are read at a time.
var verifyChunk = 10000 // a variable so tests can cross chunk boundaries with few records

// Verify rechecks an organization's chain up to its tip when the check
// begins (records committed meanwhile are left to the next check): every
// record's hash from its content and the previous hash, the sequence
// without gaps, every batch's Merkle root, chain hash and signature, and
// the tip. It stops at the first record that does not hold and names it.
func Verify(ctx context.Context, s Store, org privaq.OrgID) (Report, error) {
	start := time.Now()
	rep, err := verify(ctx, s, org)
	rep.Took = time.Since(start)
	rep.TookMS = rep.Took.Milliseconds()
	rep.OK = err == nil && rep.FirstBad == nil
	return rep, err
}

// chunk is a range of records read and hashed ahead of the sequential
// check. hashes[i] is the chain hash of record i computed from the stored
// hash of record i-1 when that is its predecessor in the same chunk; the
// check uses it only after finding that predecessor intact, which makes it
// the hash the sequential computation would give.
type chunk struct {
	recs   []StoredRecord
	hashes [][]byte
	err    error
}

// readAhead reads the records 1…last in chunks, decrypting and hashing
// them on several goroutines, and hands the chunks over in order. At most
// twice as many chunks as goroutines are held in memory.
func readAhead(ctx context.Context, s Store, org privaq.OrgID, last int64) <-chan chunk {
	workers := max(2, runtime.GOMAXPROCS(0))
	size := int64(verifyChunk)
	n := int((last + size - 1) / size)
	slots := make([]chan chunk, n)
	for i := range slots {
		slots[i] = make(chan chunk, 1)
	}
	sem := make(chan struct{}, 2*workers)
	out := make(chan chunk)
	go func() {
		for i := range n {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() { slots[i] <- readChunk(ctx, s, org, int64(i)*size, min(last, int64(i+1)*size)) }()
		}
	}()
	go func() {
		defer close(out)
		for i := range n {
			var c chunk
			select {
			case c = <-slots[i]:
			case <-ctx.Done():
				return
			}
			<-sem
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// readChunk reads the records after seq from, up to seq to.
func readChunk(ctx context.Context, s Store, org privaq.OrgID, from, to int64) chunk {
	rs, err := s.LedgerRange(ctx, org, from, to)
	if err != nil {
		return chunk{err: err}
	}
	c := chunk{recs: rs, hashes: make([][]byte, len(rs))}
	for i := 1; i < len(rs); i++ {
		if rs[i].Err == nil && rs[i-1].Seq == rs[i].Seq-1 {
			c.hashes[i] = ChainHash(rs[i-1].Hash, Canonical(int64(org), &rs[i].Record))
		}
	}
	return c
}

// verifySignatures checks every head's signature on several goroutines.
func verifySignatures(heads []Head, keys []PublicKey) map[int64]bool {
	ok := make([]bool, len(heads))
	var wg sync.WaitGroup
	workers := max(2, runtime.GOMAXPROCS(0))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(heads); i += workers {
				ok[i] = heads[i].Verify(KeyByID(keys, heads[i].KeyID))
			}
		})
	}
	wg.Wait()
	out := make(map[int64]bool, len(heads))
	for i, h := range heads {
		out[h.Batch] = ok[i]
	}
	return out
}

func verify(ctx context.Context, s Store, org privaq.OrgID) (Report, error) {
	var rep Report
	// The tip first: every record and head up to it was committed with
	// it, so what is read next is at least that; what lies past it was
	// committed during the check.
	tip, err := s.LedgerTip(ctx, org)
	if err != nil {
		return rep, err
	}
	heads, err := s.LedgerHeads(ctx, org)
	if err != nil {
		return rep, err
	}
	all := heads
	heads = slices.DeleteFunc(slices.Clone(heads), func(h Head) bool { return h.Batch > tip.LastBatch })
	keys, err := s.LedgerPublicKeys(ctx, org)
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := readAhead(ctx, s, org, tip.LastSeq)
	signed := verifySignatures(heads, keys)
	rep.Batches = len(heads)
	byBatch := map[int64]*Head{}
	for i := range heads {
		byBatch[heads[i].Batch] = &heads[i]
	}
	fail := func(seq int64, id string, batch int64, format string, args ...any) (Report, error) {
		rep.FirstBad = &Bad{Seq: seq, ID: id, Batch: batch, Problem: fmt.Sprintf(format, args...)}
		return rep, nil
	}
	prev := Genesis
	next := int64(1)
	var leaves [][]byte
	var batch int64
	var batchFirst int64
	// closeBatch checks the batch whose records were just read against
	// its signed head.
	closeBatch := func(lastSeq int64) *Bad {
		if batch == 0 {
			return nil
		}
		h := byBatch[batch]
		switch {
		case h == nil:
			return &Bad{Seq: batchFirst, Batch: batch, Problem: fmt.Sprintf("batch %d has no signed head", batch)}
		case h.FirstSeq == batchFirst && h.LastSeq > lastSeq:
			return &Bad{Seq: lastSeq + 1, Batch: batch, Problem: fmt.Sprintf("record %d is missing: it was removed (its batch %d is signed for records %d–%d)", lastSeq+1, batch, h.FirstSeq, h.LastSeq)}
		case h.FirstSeq != batchFirst || h.LastSeq != lastSeq:
			return &Bad{Seq: batchFirst, Batch: batch, Problem: fmt.Sprintf("batch %d holds records %d–%d but its signed head says %d–%d: a record was removed or moved", batch, batchFirst, lastSeq, h.FirstSeq, h.LastSeq)}
		case h.Root != hex.EncodeToString(MerkleRoot(leaves)):
			return &Bad{Seq: batchFirst, Batch: batch, Problem: fmt.Sprintf("the records of batch %d do not match its signed Merkle root", batch)}
		case h.ChainHash != hex.EncodeToString(prev):
			return &Bad{Seq: lastSeq, Batch: batch, Problem: fmt.Sprintf("batch %d's signed chain hash does not match its last record", batch)}
		case !signed[batch]:
			return &Bad{Seq: batchFirst, Batch: batch, Problem: fmt.Sprintf("the signature of batch %d's head does not verify", batch)}
		}
		delete(byBatch, batch)
		return nil
	}
	for c := range chunks {
		if c.err != nil {
			return rep, c.err
		}
		for i := range c.recs {
			r := &c.recs[i]
			if r.Seq != next {
				return fail(next, "", 0, "record %d is missing: it was removed (the next record stored is %d)", next, r.Seq)
			}
			// The record itself first, so that a change is named at the
			// record rather than at its batch.
			if r.Err != nil {
				return fail(r.Seq, r.ID, r.Batch, "%v", r.Err)
			}
			h := c.hashes[i]
			if h == nil {
				h = ChainHash(prev, Canonical(int64(org), &r.Record))
			}
			if !bytes.Equal(h, r.Hash) {
				return fail(r.Seq, r.ID, r.Batch, "its hash does not match its content and the record before it: it was altered, or records were reordered")
			}
			if r.Batch != batch {
				if bad := closeBatch(r.Seq - 1); bad != nil {
					rep.FirstBad = bad
					return rep, nil
				}
				batch, batchFirst, leaves = r.Batch, r.Seq, leaves[:0]
			}
			prev, leaves = h, append(leaves, h)
			next++
			rep.Records++
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if bad := closeBatch(next - 1); bad != nil {
		rep.FirstBad = bad
		return rep, nil
	}
	if tip.LastSeq != next-1 || !bytes.Equal(tip.LastHash, prev) {
		return fail(next, "", 0, "the chain ends at record %d but its tip says %d: records at the end were removed", next-1, tip.LastSeq)
	}
	if len(byBatch) > 0 {
		for _, h := range heads {
			if byBatch[h.Batch] != nil {
				return fail(h.FirstSeq, "", h.Batch, "batch %d is signed but its records are gone", h.Batch)
			}
		}
	}
	// Past the tip the check began with, only what was committed since
	// may lie: a tip moved back would otherwise hide the end of the chain.
	now, err := s.LedgerTip(ctx, org)
	if err != nil {
		return rep, err
	}
	for _, h := range all {
		if h.Batch > now.LastBatch {
			return fail(h.FirstSeq, "", h.Batch, "batch %d is signed but lies past the chain's tip (batch %d): the tip was moved back", h.Batch, now.LastBatch)
		}
	}
	extra, err := s.LedgerRecords(ctx, org, now.LastSeq, 1)
	if err != nil {
		return rep, err
	}
	if len(extra) > 0 {
		// A record committed since the tip was read comes with a tip
		// that covers it, visible by now.
		r := extra[0]
		if now, err = s.LedgerTip(ctx, org); err != nil {
			return rep, err
		}
		if now.LastSeq < r.Seq {
			return fail(r.Seq, r.ID, r.Batch, "record %d lies past the chain's tip (record %d): the tip was moved back, or the record was added outside privaq", r.Seq, now.LastSeq)
		}
	}
	return rep, nil
}
