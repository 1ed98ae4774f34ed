package consent

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
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
const verifyChunk = 10000

// Verify rechecks an organization's chain: every record's hash from its
// content and the previous hash, the sequence without gaps, every batch's
// Merkle root, chain hash and signature, and the tip. It stops at the
// first record that does not hold and names it.
func Verify(ctx context.Context, s Store, org privaq.OrgID) (Report, error) {
	start := time.Now()
	rep, err := verify(ctx, s, org)
	rep.Took = time.Since(start)
	rep.TookMS = rep.Took.Milliseconds()
	rep.OK = err == nil && rep.FirstBad == nil
	return rep, err
}

func verify(ctx context.Context, s Store, org privaq.OrgID) (Report, error) {
	var rep Report
	heads, err := s.LedgerHeads(ctx, org)
	if err != nil {
		return rep, err
	}
	keys, err := s.LedgerPublicKeys(ctx, org)
	if err != nil {
		return rep, err
	}
	tip, err := s.LedgerTip(ctx, org)
	if err != nil {
		return rep, err
	}
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
		case !h.Verify(KeyByID(keys, h.KeyID)):
			return &Bad{Seq: batchFirst, Batch: batch, Problem: fmt.Sprintf("the signature of batch %d's head does not verify", batch)}
		}
		delete(byBatch, batch)
		return nil
	}
	after := int64(0)
	for {
		rs, err := s.LedgerRecords(ctx, org, after, verifyChunk)
		if err != nil {
			return rep, err
		}
		for i := range rs {
			r := &rs[i]
			if r.Seq != next {
				return fail(next, "", 0, "record %d is missing: it was removed (the next record stored is %d)", next, r.Seq)
			}
			// The record itself first, so that a change is named at the
			// record rather than at its batch.
			if r.Err != nil {
				return fail(r.Seq, r.ID, r.Batch, "%v", r.Err)
			}
			h := ChainHash(prev, Canonical(int64(org), &r.Record))
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
		if len(rs) < verifyChunk {
			break
		}
		after = rs[len(rs)-1].Seq
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
	return rep, nil
}
