package api

import (
	"fmt"
	"strings"

	"privaq/internal/consent"
)

// consentOps describes the consent ledger and decisions (SPEC §7): the
// record as a client sends it and as the ledger keeps it, receipts and
// their signed batch heads, decisions, a person's history and the chain
// check.
func (b *builder) consentOps(o string) {
	const tag = "consents"
	timestamp := str("format", "date-time")
	hash := str("pattern", "^[0-9a-f]{64}$", "description", "SHA-256, hex.")
	seq := obj{"type": "integer", "format": "int64", "minimum": 1}
	decisions := []string{string(consent.Granted), string(consent.Refused), string(consent.Withdrawn)}
	modes := []string{string(consent.Express), string(consent.Implied)}
	givenBy := []string{string(consent.BySubject), string(consent.ByParentalAuthority), string(consent.ByRepresentative)}
	states := []string{consent.StateGranted, consent.StateRefused, consent.StateWithdrawn, consent.StateExpired, consent.StateNone, consent.StateNotRequired}
	subject := func(description string) obj {
		s := str("minLength", 1, "maxLength", consent.MaxSubjectLen)
		if description != "" {
			s["description"] = description
		}
		return s
	}
	nullable := func(t string, extra ...any) obj {
		s := str(extra...)
		s["type"] = []string{t, "null"}
		return s
	}

	b.schemas["ConsentInput"] = object([]string{"subject", "purpose", "decision", "mode", "channel", "given_by"}, obj{
		"subject": subject("The organization's own reference for the person: a customer id, an email, a visitor id. " +
			"Text without control characters nor leading or trailing spaces. Stored encrypted, found by a blind index."),
		"subject_category": nullable("string", "description", "The key of a subject category of the inventory. "+
			"For a category marked minors (children under 14), given_by must not be subject (P 4.1, 14)."),
		"purpose":  str("description", "The key of a purpose of the inventory."),
		"decision": str("enum", decisions, "description", "A withdrawal is a new record: records are never updated."),
		"mode": str("enum", modes, "description", "A consent granted for a purpose whose activities use a sensitive "+
			"data category must be express (P 12)."),
		"channel":  str("enum", consent.Channels),
		"given_by": str("enum", givenBy),
		"representative": nullable("string", "maxLength", consent.MaxRepresentativeLen, "description",
			"The name of who decided for the person: required when given_by is parental_authority or representative, refused when it is subject."),
		"policy_version": obj{"type": []string{"integer", "null"}, "minimum": 0, "description": "The policy version the consent was given under: " +
			"at most the version in effect. Omitted means the version in effect (0 when none is)."},
		"evidence": obj{"type": []string{"object", "null"}, "description": fmt.Sprintf("Free JSON object of at most %d bytes once compacted "+
			"(4 KiB): form id, truncated IP address, user agent. Stored encrypted.", consent.MaxEvidenceBytes)},
		"expires_at": nullable("string", "format", "date-time", "description", "When the consent lapses (RFC 3339); it must be in the future. "+
			"From then on, decisions answer expired."),
	})
	b.schemas["ConsentBatch"] = object([]string{"records"}, obj{
		"records": obj{"type": "array", "minItems": 1, "maxItems": consent.MaxBatch, "items": ref("ConsentInput"),
			"description": "Recorded all or none: when a record is invalid, the error names records[i].field and nothing is recorded."},
	})
	b.schemas["LedgerHead"] = object([]string{"org", "batch", "first_seq", "last_seq", "chain_hash", "root", "signed_at", "key_id", "signature"}, obj{
		"org":        obj{"type": "integer", "format": "int64", "description": "The organization's internal id, part of every canonical record."},
		"batch":      seq,
		"first_seq":  seq,
		"last_seq":   seq,
		"chain_hash": str("pattern", "^[0-9a-f]{64}$", "description", "Hex hash of the batch's last record: the chain up to there."),
		"root":       str("pattern", "^[0-9a-f]{64}$", "description", "Hex Merkle root (RFC 6962) of the batch's record hashes."),
		"signed_at":  timestamp,
		"key_id":     obj{"type": "integer", "minimum": 1, "description": "The organization's ledger key, published at /o/{org}/ledger/key."},
		"signature": str("description", "Base64 Ed25519 signature over the lines privaq-ledger-head/v1, org=, batch=, first_seq=, "+
			"last_seq=, chain_hash=, root=, signed_at= (RFC 3339 UTC with microseconds) and key_id=, each ended by a newline."),
	})
	b.schemas["ConsentReceipt"] = object([]string{"receipt_version", "canonical", "prev_hash", "hash", "index", "proof", "head"}, obj{
		"receipt_version": obj{"type": "integer", "enum": []int{1}},
		"canonical":       str("description", "The record exactly as hashed: JSON with a fixed key order and no spaces."),
		"prev_hash":       str("pattern", "^[0-9a-f]{64}$", "description", "Hex hash of the record before (64 zeros for the first)."),
		"hash":            str("pattern", "^[0-9a-f]{64}$", "description", "Hex SHA-256(prev_hash bytes ‖ canonical)."),
		"index":           obj{"type": "integer", "minimum": 0, "description": "The record's place in its batch, from 0."},
		"proof":           arrayOf(hash),
		"head":            ref("LedgerHead"),
	})
	b.schemas["ConsentResult"] = object([]string{"id", "seq", "hash", "receipt"}, obj{
		"id":      str("format", "uuid"),
		"seq":     seq,
		"hash":    hash,
		"receipt": ref("ConsentReceipt"),
	})
	answer := func() obj {
		return obj{
			"allowed": obj{"type": "boolean", "description": "Whether the organization may use the person's data for the purpose."},
			"state":   str("enum", states),
			"record":  obj{"type": []string{"string", "null"}, "description": "The id of the record the answer comes from; null for none and not_required."},
			"renewal_required": obj{"type": "boolean", "description": "Present and true when the consent was given under a policy version older " +
				"than a significant change affecting the purpose; when the organization asks again after such changes, state is expired."},
		}
	}
	b.schemas["ConsentDecision"] = object([]string{"allowed", "state", "record"}, answer())
	current := answer()
	current["purpose"] = str()
	current["policy_version"] = obj{"type": "integer", "minimum": 0}
	b.schemas["ConsentPurposeState"] = object([]string{"purpose", "allowed", "state", "record", "policy_version"}, current)
	b.schemas["ConsentRecord"] = object([]string{"id", "seq", "subject", "purpose", "decision", "mode", "channel", "given_by", "policy_version", "recorded_at", "batch"}, obj{
		"id":               str("format", "uuid"),
		"seq":              seq,
		"subject":          str(),
		"subject_category": str(),
		"purpose":          str(),
		"decision":         str("enum", decisions),
		"mode":             str("enum", modes),
		"channel":          str("enum", consent.Channels),
		"given_by":         str("enum", givenBy),
		"representative":   str(),
		"policy_version":   obj{"type": "integer", "minimum": 0},
		"evidence":         obj{"type": "object"},
		"expires_at":       timestamp,
		"recorded_at":      timestamp,
		"batch":            seq,
	})
	b.schemas["ConsentHistory"] = object([]string{"subject", "current", "records"}, obj{
		"subject": str(),
		"current": arrayOf(ref("ConsentPurposeState")),
		"records": arrayOf(ref("ConsentRecord")),
	})
	b.schemas["LedgerReport"] = object([]string{"ok", "records", "batches", "took_ms"}, obj{
		"ok":      obj{"type": "boolean"},
		"records": obj{"type": "integer", "format": "int64", "minimum": 0, "description": "Records checked."},
		"batches": obj{"type": "integer", "minimum": 0, "description": "Signed batch heads."},
		"first_bad": object([]string{"seq", "problem"}, obj{
			"seq":     obj{"type": "integer", "format": "int64"},
			"id":      str(),
			"batch":   obj{"type": "integer", "format": "int64"},
			"problem": str("description", "What does not hold: altered, removed or reordered records, a bad signature."),
		}),
		"took_ms": obj{"type": "integer", "format": "int64", "minimum": 0},
	})

	b.op("POST", o+"/consents", operation{id: "recordConsents", summary: "Record one consent decision, or a batch of up to 10,000", tag: tag,
		body:   jsonBody(obj{"oneOf": []obj{ref("ConsentInput"), ref("ConsentBatch")}}),
		status: 201, response: reply("One record: its id, sequence number, hash and signed receipt. A batch: {\"records\": […]}, the same for each, in order.",
			obj{"oneOf": []obj{ref("ConsentResult"), object([]string{"records"}, obj{"records": arrayOf(ref("ConsentResult"))})}}),
		errors: []int{400, 401, 403, 404, 413, 415, 422, 500}})
	b.describe("POST", o+"/consents", "Permission consent.write: officer, staff and integration tokens (403 for auditors). "+
		"Each record is validated against the inventory: unknown purpose or subject category, implied consent for a purpose using sensitive "+
		"information, a minor's consent given by the subject, a representative missing or out of place, evidence over 4 KiB or not an object, "+
		"expires_at in the past, a policy version not yet in effect; each is a 422 naming the field (records[i].field in a batch), and "+
		"nothing is recorded. The answer comes once the records are durable. A receipt proves its record offline: hash = "+
		"SHA-256(prev_hash ‖ canonical), the Merkle proof leads from hash to head.root, and head.signature verifies with the "+
		"organization's public key. The body is limited to 48 MiB (413).")

	pair := object([]string{"subject", "purpose"}, obj{
		"subject": subject("The organization's reference for the person."),
		"purpose": str("description", "The key of a purpose of the inventory."),
	})
	b.op("GET", o+"/decisions", operation{id: "getDecision", summary: "May the organization use this person's data for this purpose?", tag: tag,
		query: []obj{
			required(queryParam("subject", "The organization's reference for the person.", subject(""))),
			required(queryParam("purpose", "The key of a purpose of the inventory.", str())),
		},
		status: 200, response: reply("The decision.", ref("ConsentDecision")), errors: []int{401, 404, 422, 500}})
	b.describe("GET", o+"/decisions", "Permission consent.read: every role. Answered from the latest record of the pair, exactly "+
		"(a withdrawal is seen as soon as it is acknowledged): granted, refused, withdrawn, expired (expires_at passed, or renewal "+
		"required after a significant policy change), none (no record), not_required (the purpose needs no consent). An unknown purpose is a 422.")
	b.op("POST", o+"/decisions", operation{id: "decideBulk", summary: "Answer many decisions at once, in order", tag: tag,
		body: jsonBody(object([]string{"pairs"}, obj{
			"pairs": obj{"type": "array", "minItems": 1, "maxItems": consent.MaxPairs, "items": pair},
		})),
		status: 200, response: reply("One decision per pair, in the order asked (duplicates included).",
			object([]string{"decisions"}, obj{"decisions": arrayOf(ref("ConsentDecision"))})),
		errors: []int{400, 401, 404, 413, 415, 422, 500}})
	b.describe("POST", o+"/decisions", "Permission consent.read: every role. From 1 to 100,000 pairs (422 otherwise); an unknown "+
		"purpose is a 422 naming pairs[i].purpose. The body is limited to 16 MiB (413).")

	history := o + "/subjects/{subject}/consents"
	b.op("GET", history, operation{id: "getSubjectConsents", summary: "A person's consent history and current state per purpose", tag: tag,
		status: 200, response: reply("Every record of the person, in sequence order, and the current state of each purpose they decided on.", ref("ConsentHistory")),
		errors: []int{401, 403, 404, 422, 500}})
	b.describe("GET", history, "Permission personal.read: officer, staff and auditor (403 for integration tokens, which see "+
		"consent state only). A read of personal information: it is recorded in the audit log as consent.history.")
	item := b.paths[history].(obj)
	item["parameters"] = append(item["parameters"].([]any), pathParam("subject",
		"The organization's reference for the person, percent-encoded.", subject("")))

	b.op("GET", o+"/ledger/verify", operation{id: "verifyLedger", summary: "Recheck the whole consent ledger", tag: tag,
		status: 200, response: reply("Whether the chain holds; otherwise the first record (or batch) that does not, and why.", ref("LedgerReport")),
		errors: []int{401, 404, 500}})
	b.describe("GET", o+"/ledger/verify", "Permission consent.read: every role. Rechecks every record's hash from its content and "+
		"the previous hash, the sequence without gaps, each batch's Merkle root, chain hash and signature, and the tip; it names the "+
		"first record that was altered, removed or reordered.")
}

// describe adds a description to an operation built by op.
func (b *builder) describe(method, path, text string) {
	b.paths[path].(obj)[strings.ToLower(method)].(obj)["description"] = text
}

// required marks a parameter as required.
func required(p obj) obj {
	p["required"] = true
	return p
}
