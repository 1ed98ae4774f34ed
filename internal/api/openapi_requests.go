package api

import (
	"maps"
	"slices"

	"privaq/internal/rights"
)

// requestOps describes the rights requests (SPEC §9).
func (b *builder) requestOps(o string) {
	const tag = "requests"
	timestamp := str("format", "date-time")
	nullTime := obj{"type": []string{"string", "null"}, "format": "date-time"}
	id := obj{"type": "integer", "format": "int64", "minimum": 1}
	person := func(required []string) obj {
		return object(required, obj{"name": str("maxLength", 300), "email": str("maxLength", 254, "description", "Where letters are emailed; empty for none."),
			"phone": str("maxLength", 40)})
	}
	represented := object([]string{"name", "capacity"}, obj{"name": str("maxLength", 300),
		"capacity": str("enum", rights.Capacities, "description", "Why the requester may act for the person concerned (P 30, A 94).")})
	b.schemas["RequestInput"] = object([]string{"type", "requester"}, obj{
		"type":        str("enum", rights.Types),
		"requester":   person([]string{"name"}),
		"represented": obj{"oneOf": []obj{{"type": "null"}, represented}},
		"details":     str("maxLength", 10000),
		"channel":     str("enum", rights.Channels, "default", "mail"),
		"received_at": str("description", "A date (YYYY-MM-DD, Montreal time) or an RFC 3339 time; empty for now. The legal delay counts from it."),
		"law":         str("enum", []rights.Law{rights.LawPrivate, rights.LawPublic}, "description", "For an organization under both regimes, the Act that applies (default public, the shorter delay)."),
		"lang":        str("enum", []string{"fr", "en"}, "default", "fr", "description", "The requester's language, for the letters."),
	})
	event := object([]string{"id", "at", "by", "action"}, obj{"id": id, "at": timestamp, "by": str(), "action": str(),
		"note": str(), "detail": obj{"type": "object"}})
	letter := object([]string{"id", "kind", "lang", "subject", "text", "created_at", "emailed"}, obj{"id": id,
		"kind": str("enum", []rights.LetterKind{rights.LetterAcknowledgement, rights.LetterExtension, rights.LetterClarification, rights.LetterAnswer}),
		"lang": str("enum", []string{"fr", "en"}), "subject": str(), "text": str(), "created_at": timestamp, "emailed": obj{"type": "boolean"}})
	props := obj{
		"id": id, "reference": str("description", "REQ-year-number, numbered per organization."),
		"type": str("enum", rights.Types), "status": str("enum", rights.Statuses), "channel": str("enum", rights.Channels),
		"law": str("enum", []rights.Law{rights.LawPrivate, rights.LawPublic}), "lang": str("enum", []string{"fr", "en"}),
		"requester": person(nil), "represented": obj{"oneOf": []obj{{"type": "null"}, represented}}, "details": str(),
		"identifiers": obj{"type": "object", "additionalProperties": str(), "description": "References that find the person in the organization's databases."},
		"received_at": timestamp, "confirmed_at": nullTime,
		"due_at":          obj{"type": "string", "format": "date-time", "description": "End of the last day to answer, Montreal time (P 32, A 98)."},
		"original_due_at": timestamp, "extended_at": nullTime,
		"identity": obj{"oneOf": []obj{{"type": "null"}, object([]string{"method", "verified_by", "verified_at"}, obj{
			"method": str("enum", rights.IdentityMethods), "note": str(), "verified_by": str(), "verified_at": timestamp})}},
		"assignee_id": obj{"type": "integer"}, "assignee": str(),
		"outcome": str("enum", rights.Outcomes), "reasons": ref("Text"), "articles": arrayOf(str()),
		"answered_at": nullTime, "closed_at": nullTime, "created_at": timestamp, "updated_at": timestamp,
		"events": arrayOf(event), "letters": arrayOf(letter),
		"days_left": obj{"type": "integer", "description": "Days to the due date in Montreal; negative when overdue."},
		"overdue":   obj{"type": "boolean", "description": "Open past its due date: the law deems it refused (P 32, A 102)."},
		"hold_until": obj{"type": []string{"string", "null"}, "format": "date-time",
			"description": "The information the request is about is kept until then (recourse delay); null while the request is open."},
		"held": obj{"type": "boolean"},
	}
	required := slices.Sorted(maps.Keys(props))
	required = slices.DeleteFunc(required, func(k string) bool { return k == "outcome" })
	b.schemas["Request"] = object(required, props)

	base, one := o+"/requests", o+"/requests/{request}"
	created := reply("The request, with its acknowledgement letter.", ref("Request"))
	created["headers"] = obj{"Location": obj{"required": true, "description": "URL of the request.", "schema": str()}}
	withRequest := func(d string) obj { return reply(d, ref("Request")) }
	b.op("POST", base, operation{id: "createRequest", summary: "Enter a request received by mail, phone, email or in person (staff, officers)", tag: tag,
		body: jsonBody(ref("RequestInput")), status: 201, response: created, errors: writeErrors})
	b.op("GET", base, operation{id: "listRequests", summary: "List the requests, open ones first by due date (audited)", tag: tag,
		query: []obj{
			queryParam("status", "Keep the requests in this status.", str("enum", rights.Statuses)),
			queryParam("type", "Keep the requests of this type.", str("enum", rights.Types)),
			queryParam("overdue", "true for the requests open past their due date.", obj{"type": "boolean"}),
		},
		status: 200, response: reply("The requests.", itemsOf(ref("Request"))), errors: []int{401, 403, 404, 422, 500}})
	b.op("GET", base+"/stats", operation{id: "getRequestStats", summary: "Requests by type and month, response times, overdue count", tag: tag,
		status: 200, response: reply("The figures.", object([]string{"total", "open", "overdue", "months", "answered", "median_days", "worst_days", "answered_late"}, obj{
			"total": obj{"type": "integer"}, "open": obj{"type": "integer"}, "overdue": obj{"type": "integer"},
			"months": arrayOf(object([]string{"month", "by_type", "total"}, obj{"month": str(), "total": obj{"type": "integer"},
				"by_type": obj{"type": "object", "additionalProperties": obj{"type": "integer"}}})),
			"answered": obj{"type": "integer"}, "median_days": obj{"type": "number"}, "worst_days": obj{"type": "number"},
			"answered_late": obj{"type": "integer"},
		})), errors: adminReads})
	b.op("GET", one, operation{id: "getRequest", summary: "Get a request with its file: events and letters (audited)", tag: tag,
		status: 200, response: withRequest("The request."), errors: adminReads})
	b.op("POST", one+"/verify-identity", operation{id: "verifyRequestIdentity", summary: "Record how the requester's identity was verified (P 30); no document is kept", tag: tag,
		body:   jsonBody(object([]string{"method"}, obj{"method": str("enum", rights.IdentityMethods), "note": str("maxLength", 10000)})),
		status: 200, response: withRequest("The request, verified."), errors: slices.Concat(writeErrors, []int{409})})
	b.op("POST", one+"/notes", operation{id: "addRequestNote", summary: "Add an internal note to the file", tag: tag,
		body:   jsonBody(object([]string{"note"}, obj{"note": str("maxLength", 10000)})),
		status: 200, response: withRequest("The request with the note."), errors: writeErrors})
	b.op("POST", one+"/answer", operation{id: "answerRequest", summary: "Answer in writing; the letter tells of the recourse to the Commission (P 34, A 135)", tag: tag,
		body: jsonBody(object([]string{"outcome"}, obj{"outcome": str("enum", rights.Outcomes), "reasons": ref("Text"),
			"articles": arrayOf(str("maxLength", 100, "description", "A provision relied on, such as P 39; required for a refusal."))})),
		status: 200, response: withRequest("The request, answered."), errors: slices.Concat(writeErrors, []int{409})})
}
