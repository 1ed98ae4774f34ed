package consent

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
)

// Exports of the ledger (SPEC §7): every record, or those of one purpose,
// one period or one person, streamed as CSV, JSON Lines or JSON Lines
// shaped after ISO/IEC TS 27560 consent records (docs/consent-export.md).
// An export reads people's references: it needs personal.read and is
// recorded in the audit log, with its filters and row count, before the
// first row leaves.

// Export formats.
const (
	FormatCSV      = "csv"
	FormatJSONL    = "jsonl"
	FormatISO27560 = "iso27560"
)

// ExportFormats lists the formats, the default first.
var ExportFormats = []string{FormatCSV, FormatJSONL, FormatISO27560}

// ExportFilter narrows an export. Records are taken in sequence order.
type ExportFilter struct {
	Purpose string     // "" for every purpose
	From    *time.Time // recorded at or after, when set
	To      *time.Time // recorded before, when set
	Subject string     // "" for every person; found by the blind index
	// UpTo is the last sequence number exported: the chain's tip when
	// the export began, so that the count audited and the rows streamed
	// are the same set even while records are being added.
	UpTo int64
}

// ExportStore reads the ledger for exports. The ledger's Store has these
// methods too (store.DB implements both).
type ExportStore interface {
	// CountExport counts the records f selects.
	CountExport(ctx context.Context, org privaq.OrgID, f ExportFilter) (int64, error)
	// ExportRecords yields the records f selects in sequence order,
	// reading them a chunk at a time.
	ExportRecords(ctx context.Context, org privaq.OrgID, f ExportFilter) iter.Seq2[Record, error]
}

// ExportRequest is an export as asked, from the query string.
type ExportRequest struct {
	Format  string
	Purpose string
	From    string // RFC 3339 date (2026-01-31) or date-time
	To      string // a date includes that whole day (UTC)
	Subject string
}

// Export is an export checked, counted and audited, ready to stream.
type Export struct {
	Format string
	Filter ExportFilter
	Rows   int64 // how many records it streams
	store  ExportStore
	org    privaq.OrgID
	iso    *isoContext
}

// maxKeyLen bounds a purpose key in a filter (the inventory's key rule).
const maxKeyLen = 63

// PrepareExport checks the request and the actor's right to read people's
// records, fixes the set of records (up to the current tip), counts it and
// records the export in the audit log. site locates the organization's
// public pages, which the iso27560 format links to.
func (s *Service) PrepareExport(ctx context.Context, actor privaq.Actor, org privaq.OrgID, req ExportRequest, site ExportSite) (*Export, error) {
	if err := actor.Require(org, privaq.PermPersonalRead); err != nil {
		return nil, err
	}
	es, ok := s.Store.(ExportStore)
	if !ok {
		return nil, &privaq.Error{Code: privaq.EInternal, Message: "exports are not available", Err: fmt.Errorf("%T has no export methods", s.Store)}
	}
	e := &Export{Format: req.Format, store: es, org: org}
	if e.Format == "" {
		e.Format = FormatCSV
	}
	var errs privaq.ValidationErrors
	switch e.Format {
	case FormatCSV, FormatJSONL, FormatISO27560:
	default:
		errs.Add("format", "format must be one of %s", strings.Join(ExportFormats, ", "))
	}
	f := &e.Filter
	if req.Purpose != "" {
		if !cleanLine(req.Purpose, maxKeyLen) {
			errs.Add("purpose", "purpose must be a purpose key of at most %d characters", maxKeyLen)
		}
		f.Purpose = req.Purpose
	}
	if req.Subject != "" {
		if !cleanLine(req.Subject, MaxSubjectLen) {
			errs.Add("subject", "subject must be text of 1 to %d characters", MaxSubjectLen)
		}
		f.Subject = req.Subject
	}
	var err error
	if f.From, err = parseBound(req.From, false); err != nil {
		errs.Add("from", "%s", err)
	}
	if f.To, err = parseBound(req.To, true); err != nil {
		errs.Add("to", "%s", err)
	}
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		errs.Add("to", "to must be after from")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	tip, err := s.Store.LedgerTip(ctx, org)
	if err != nil {
		return nil, err
	}
	f.UpTo = tip.LastSeq
	if e.Rows, err = es.CountExport(ctx, org, *f); err != nil {
		return nil, err
	}
	if e.Format == FormatISO27560 {
		doc, _, err := s.Sources.Inventory(ctx, org)
		if err != nil {
			return nil, err
		}
		e.iso = newISOContext(doc, site)
	}
	// The log says which records were read, never whose: a subject
	// filter is noted, not its value.
	detail := map[string]any{"format": e.Format, "rows": e.Rows, "up_to_seq": f.UpTo}
	if f.Purpose != "" {
		detail["purpose"] = f.Purpose
	}
	if f.From != nil {
		detail["from"] = f.From.Format(time.RFC3339Nano)
	}
	if f.To != nil {
		detail["to"] = f.To.Format(time.RFC3339Nano)
	}
	if f.Subject != "" {
		detail["subject_filter"] = true
	}
	if err := s.Audit.AppendAudit(ctx, audit.New(actor, "consent.export", "consents/export", detail)); err != nil {
		return nil, err
	}
	return e, nil
}

// parseBound reads a date (the start of that day in UTC, or of the next
// day for an upper bound, which so includes the whole day) or an RFC 3339
// date-time. A "+" of an offset that arrived unescaped in a query string
// is a space: it is read back as "+".
func parseBound(v string, upper bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
	if err != nil {
		return nil, fmt.Errorf("%q is not a date (2026-01-31) or an RFC 3339 date-time (2026-01-31T15:04:05Z)", v)
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t, nil
}

// ContentType is the media type of the export.
func (e *Export) ContentType() string {
	if e.Format == FormatCSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// Extension is the file name extension of the export.
func (e *Export) Extension() string {
	if e.Format == FormatCSV {
		return "csv"
	}
	return "jsonl"
}

// exportFlushRows is how many rows are written between two calls of the
// caller's flush: the client sees progress, and memory stays flat.
const exportFlushRows = 1000

// WriteTo streams the export to w. flush, when set, is called after each
// batch of rows has been handed to w (to push them to the client), and
// at the end. It returns the number of rows written.
func (e *Export) WriteTo(ctx context.Context, w io.Writer, flush func() error) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	push := func() error {
		if err := bw.Flush(); err != nil {
			return err
		}
		if flush != nil {
			return flush()
		}
		return nil
	}
	var row func(r *Record) error
	switch e.Format {
	case FormatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return 0, err
		}
		row = func(r *Record) error { return cw.Write(csvRow(r)) }
		inner := push
		push = func() error {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return inner()
		}
	case FormatJSONL:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		row = func(r *Record) error { return enc.Encode(lineOf(r)) }
	case FormatISO27560:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		row = func(r *Record) error { return enc.Encode(e.iso.record(r)) }
	}
	var n int64
	for r, err := range e.store.ExportRecords(ctx, e.org, e.Filter) {
		if err != nil {
			return n, err
		}
		if err := row(&r); err != nil {
			return n, err
		}
		n++
		if n%exportFlushRows == 0 {
			if err := push(); err != nil {
				return n, err
			}
		}
	}
	return n, push()
}

var csvHeader = []string{"id", "seq", "recorded_at", "subject", "subject_category", "purpose", "decision", "mode", "channel",
	"given_by", "representative", "policy_version", "expires_at", "evidence", "hash"}

func csvRow(r *Record) []string {
	exp := ""
	if r.ExpiresAt != nil {
		exp = stamp(*r.ExpiresAt)
	}
	return []string{r.ID, strconv.FormatInt(r.Seq, 10), stamp(r.RecordedAt), cell(r.Subject), r.SubjectCategory, r.Purpose,
		string(r.Decision), string(r.Mode), r.Channel, string(r.GivenBy), cell(r.Representative), strconv.Itoa(r.PolicyVersion),
		exp, string(r.Evidence), hex.EncodeToString(r.Hash)}
}

// cell keeps a spreadsheet from reading free text as a formula (CSV
// injection): a value starting with = + - @ or a tab or carriage return
// gets a leading apostrophe. The JSON formats carry values unchanged.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// line is a record as one JSON Lines row: every field always present.
type line struct {
	ID              string          `json:"id"`
	Seq             int64           `json:"seq"`
	RecordedAt      string          `json:"recorded_at"`
	Subject         string          `json:"subject"`
	SubjectCategory string          `json:"subject_category"`
	Purpose         string          `json:"purpose"`
	Decision        Decision        `json:"decision"`
	Mode            Mode            `json:"mode"`
	Channel         string          `json:"channel"`
	GivenBy         GivenBy         `json:"given_by"`
	Representative  string          `json:"representative"`
	PolicyVersion   int             `json:"policy_version"`
	ExpiresAt       *string         `json:"expires_at"`
	Evidence        json.RawMessage `json:"evidence"`
	Hash            string          `json:"hash"`
}

func lineOf(r *Record) line {
	l := line{ID: r.ID, Seq: r.Seq, RecordedAt: stamp(r.RecordedAt), Subject: r.Subject, SubjectCategory: r.SubjectCategory,
		Purpose: r.Purpose, Decision: r.Decision, Mode: r.Mode, Channel: r.Channel, GivenBy: r.GivenBy,
		Representative: r.Representative, PolicyVersion: r.PolicyVersion, Evidence: r.Evidence, Hash: hex.EncodeToString(r.Hash)}
	if r.ExpiresAt != nil {
		s := stamp(*r.ExpiresAt)
		l.ExpiresAt = &s
	}
	if len(l.Evidence) == 0 {
		l.Evidence = json.RawMessage("null")
	}
	return l
}
