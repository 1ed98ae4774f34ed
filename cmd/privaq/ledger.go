package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"privaq/internal/config"
	"privaq/internal/consent"
)

// runLedgerVerify rechecks an organization's whole consent chain (SPEC
// §2, §7): exit 0 with a summary line when intact, exit 1 naming the
// first bad record.
func runLedgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := config.Load()
	fs := newFlags("ledger verify", "ledger verify --org SLUG",
		"Rechecks the organization's consent ledger: every record's hash, the sequence\n"+
			"without gaps, every batch's Merkle root and signature. Prints one line;\n"+
			"exits 1 naming the first record that does not hold.", stdout, stderr)
	cfg.StorageFlags(fs.FlagSet)
	slug := fs.String("org", "", "organization slug")
	if _, err := fs.parseExact(args, 0, "org"); err != nil {
		return err
	}
	db, o, err := openOrg(ctx, &cfg, *slug)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := consent.Verify(ctx, db, o.ID)
	if err != nil {
		return err
	}
	if !rep.OK {
		return errors.New(rep.Summary())
	}
	_, err = fmt.Fprintln(stdout, rep.Summary())
	return err
}

// runLedgerCheckReceipt checks one receipt offline, with the public key
// the organization publishes at /o/{org}/ledger/key: no database needed.
func runLedgerCheckReceipt(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("ledger check-receipt", "ledger check-receipt --key BASE64 [FILE|-]",
		"Checks a consent receipt (the JSON \"receipt\" object returned when the record\n"+
			"was made) against an organization's Ed25519 public key (base64, as published\n"+
			"at /o/{org}/ledger/key). Reads the receipt from FILE, or stdin.", stdout, stderr)
	key := fs.String("key", "", "the organization's ledger public key, base64")
	pos, err := fs.parseExact(args, 1, "key")
	if err != nil {
		return err
	}
	pub, err := base64.StdEncoding.DecodeString(*key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return usagef("--key must be a base64 Ed25519 public key of %d bytes", ed25519.PublicKeySize)
	}
	in := stdin
	if len(pos) == 1 && pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, 1<<20))
	if err != nil {
		return err
	}
	var r consent.Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("the receipt is not valid JSON: %v", err)
	}
	if err := consent.VerifyReceipt(&r, pub); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "receipt valid: record %d of organization %d, batch %d signed at %s\n",
		r.Head.FirstSeq+int64(r.Index), r.Head.Org, r.Head.Batch, r.Head.SignedAt.Format("2006-01-02T15:04:05Z07:00"))
	return err
}
