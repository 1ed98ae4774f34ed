package consent

import (
	"context"
	"crypto/ed25519"
	"time"

	"privaq"
)

// Tip is the end of an organization's chain.
type Tip struct {
	LastSeq   int64
	LastHash  []byte
	LastBatch int64
}

// SigningKey is an organization's ledger key.
type SigningKey struct {
	ID      int
	Private ed25519.PrivateKey
}

// PublicKey is the public half of a ledger key, as published.
type PublicKey struct {
	ID        int               `json:"key_id"`
	Key       ed25519.PublicKey `json:"public_key"`
	CreatedAt time.Time         `json:"created_at"`
}

// Batch is what one organization adds to its chain in one commit.
type Batch struct {
	Records []Record
	Head    Head
}

// State is the latest decision of one person for one purpose.
type State struct {
	Seq           int64
	ID            string
	Decision      Decision
	PolicyVersion int
	ExpiresAt     *time.Time
}

// Pair is one question: this subject, this purpose.
type Pair struct {
	Subject string `json:"subject"`
	Purpose string `json:"purpose"`
}

// StoredRecord is a record read back for verification: Err is set when
// its sealed fields do not open (altered in the database).
type StoredRecord struct {
	Record
	Err error
}

// Store keeps the ledger.
type Store interface {
	// AppendLedger adds one batch per organization, all in one
	// transaction: build gets each organization's chain tip (locked until
	// the commit) and signing key, and returns the batch to write.
	AppendLedger(ctx context.Context, orgs []privaq.OrgID,
		build func(org privaq.OrgID, tip Tip, key SigningKey) (*Batch, error)) error
	LedgerPublicKeys(ctx context.Context, org privaq.OrgID) ([]PublicKey, error)
	// ConsentStates answers the latest state of each pair, in order;
	// ok[i] is false when the pair has no record.
	ConsentStates(ctx context.Context, org privaq.OrgID, pairs []Pair) (states []State, ok []bool, err error)
	// SubjectRecords lists a person's records in sequence order.
	SubjectRecords(ctx context.Context, org privaq.OrgID, subject string) ([]Record, error)
	// LedgerRecords reads records after seq, in order, at most limit.
	LedgerRecords(ctx context.Context, org privaq.OrgID, after int64, limit int) ([]StoredRecord, error)
	// LedgerRange reads the records with from < seq <= to, in order.
	LedgerRange(ctx context.Context, org privaq.OrgID, from, to int64) ([]StoredRecord, error)
	LedgerHeads(ctx context.Context, org privaq.OrgID) ([]Head, error)
	LedgerTip(ctx context.Context, org privaq.OrgID) (Tip, error)
	// ConsentCounts counts the records of periods consecutive periods of
	// width from start, per purpose and decision.
	ConsentCounts(ctx context.Context, org privaq.OrgID, start time.Time, width time.Duration, periods int) ([]Count, error)
}
