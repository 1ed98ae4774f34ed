package api

import (
	"maps"
	"slices"
	"strings"

	"privaq/internal/incident"
)

// incidentOps describes the register of confidentiality incidents (SPEC
// §10): declaration, correction, assessment, notices, list of people
// concerned, export.
func (b *builder) incidentOps(o string) {
	const tag = "incidents"
	timestamp := str("format", "date-time")
	nullTime := obj{"type": []string{"string", "null"}, "format": "date-time"}
	nullCount := obj{"type": []string{"integer", "null"}, "minimum": 0}
	when := str("pattern", `^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?$`,
		"description", "A date (YYYY-MM-DD, taken as midnight UTC) or an RFC 3339 date and time; empty for none.")
	keys := func(what string) obj {
		s := arrayOf(str("pattern", keyPattern, "description", "The key of an item of the inventory's "+what+"."))
		s["uniqueItems"] = true
		return s
	}
	text := str("maxLength", 10000)
	level := str("enum", incident.Levels)
	id := obj{"type": "integer", "format": "int64", "minimum": 1}

	b.schemas["PersonNotice"] = object(nil, obj{
		"information":   ref("Text"),
		"circumstances": ref("Text"),
		"measures":      ref("Text"),
		"advice":        ref("Text"),
	})
	b.schemas["PersonNotice"].(obj)["description"] = "The organization's texts of the notice to the people concerned (Reg-I s. 5), in French and, " +
		"for people who read English, in English. information defaults to the names of the incident's data categories; advice says what the person can do."
	details := obj{
		"kind":                       str("enum", incident.Kinds, "description", "What happened (P 3.6, A 63.9)."),
		"occurred_from":              when,
		"occurred_to":                when,
		"occurred_approximate":       obj{"type": "boolean", "description": "The dates are an estimate."},
		"discovered_at":              when,
		"description":                str("maxLength", 10000, "description", "The circumstances of the incident (sealed at rest)."),
		"cause":                      text,
		"data_categories":            keys("data categories"),
		"information":                str("maxLength", 10000, "description", "The personal information involved, described."),
		"information_unknown_reason": str("maxLength", 10000, "description", "Why the information involved is not known."),
		"people_count":               nullCount,
		"people_in_quebec":           nullCount,
		"people_approximate":         obj{"type": "boolean", "description": "The counts are estimates."},
		"systems":                    keys("systems"),
		"recipients":                 keys("recipients"),
		"caused_by":                  str("description", "The key of the recipient (such as a processor) that caused the incident; empty for none."),
		"measures":                   str("maxLength", 10000, "description", "Measures taken or planned to reduce the risk of injury."),
		"notification_plan":          str("maxLength", 10000, "description", "How and when the people concerned are or will be notified."),
		"others_notified":            str("maxLength", 10000, "description", "Other persons or bodies notified, such as the police or an authority outside Quebec."),
		"cai_notified_at":            when,
		"public_notice_at":           when,
		"public_notice_reason":       str("maxLength", 10000, "description", "Why a public notice was given (Reg-I s. 6); required with public_notice_at."),
		"person_notice":              ref("PersonNotice"),
	}
	b.schemas["IncidentInput"] = object([]string{"kind", "occurred_from", "discovered_at", "description"}, details)
	patch := maps.Clone(details)
	patch["status"] = str("enum", []incident.Status{incident.StatusOpen, incident.StatusClosed},
		"description", "Close (once assessed and, when serious, notified) or reopen.")
	// In a patch, null clears a field.
	for k, v := range patch {
		if t, ok := v.(obj)["type"].(string); ok {
			nullable := maps.Clone(v.(obj))
			nullable["type"] = []string{t, "null"}
			patch[k] = nullable
		}
	}
	b.schemas["IncidentPatch"] = object(nil, patch)

	out := maps.Clone(details)
	for _, k := range []string{"occurred_from", "discovered_at"} {
		out[k] = timestamp
	}
	for _, k := range []string{"occurred_to", "cai_notified_at", "public_notice_at"} {
		out[k] = nullTime
	}
	b.schemas["IncidentCounts"] = object([]string{"imported", "with_email", "emails_queued", "emails_sent", "emails_failed", "letters_to_post",
		"letters_posted", "list_destroyed_at"}, obj{
		"imported": obj{"type": "integer"}, "with_email": obj{"type": "integer"}, "emails_queued": obj{"type": "integer"},
		"emails_sent": obj{"type": "integer"}, "emails_failed": obj{"type": "integer"}, "letters_to_post": obj{"type": "integer"},
		"letters_posted": obj{"type": "integer"}, "list_destroyed_at": nullTime,
	})
	b.schemas["Assessment"] = object([]string{"id", "assessed_at", "assessed_by", "sensitivity", "consequences", "likelihood", "serious", "grounds"}, obj{
		"id": id, "assessed_at": timestamp, "assessed_by": str(), "sensitivity": level, "consequences": level, "likelihood": level,
		"serious": obj{"type": "boolean"}, "grounds": str(),
	})
	b.schemas["Disclosure"] = object([]string{"id", "disclosed_at", "recipient", "information", "reason", "recorded_at", "recorded_by"}, obj{
		"id": id, "disclosed_at": timestamp, "recipient": str(), "information": str(), "reason": str(), "recorded_at": timestamp, "recorded_by": str(),
	})
	b.schemas["HistoryEntry"] = object([]string{"id", "at", "by", "action"}, obj{
		"id": id, "at": timestamp, "by": str("description", "An email, a token name, or system."),
		"action":  str("description", "declared, updated, assessed, disclosed, closed, reopened, people_imported, notices_sent, letters_posted, people_destroyed."),
		"changes": arrayOf(object([]string{"field", "from", "to"}, obj{"field": str(), "from": str(), "to": str()})),
		"counts":  obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
	})
	more := obj{
		"id": id, "reference": str("description", "INC-year-number, numbered per organization."),
		"status":      str("enum", []incident.Status{incident.StatusOpen, incident.StatusClosed}),
		"declared_at": timestamp, "declared_by": str(), "updated_at": timestamp, "closed_at": nullTime,
		"serious":             obj{"type": []string{"boolean", "null"}, "description": "The latest assessment's conclusion; null before any."},
		"assessed_at":         nullTime,
		"persons_notified_at": nullTime,
		"people":              ref("IncidentCounts"),
		"overdue": obj{"type": "boolean", "description": "Assessed serious, open, and a notice still due after the organization's overdue_hours " +
			"since discovered_at."},
		"elapsed_hours": obj{"type": "integer", "minimum": 0, "description": "Hours since the organization learned of the incident."},
		"assessments":   arrayOf(ref("Assessment")),
		"disclosures":   arrayOf(ref("Disclosure")),
		"history":       arrayOf(ref("HistoryEntry")),
	}
	maps.Copy(out, more)
	b.schemas["Incident"] = object(slices.Sorted(maps.Keys(out)), out)

	summary := obj{}
	for _, k := range []string{"id", "reference", "kind", "status", "occurred_from", "occurred_to", "occurred_approximate", "discovered_at",
		"people_count", "people_in_quebec", "people_approximate", "serious", "cai_notified_at", "persons_notified_at", "public_notice_at",
		"declared_at", "declared_by", "closed_at", "overdue", "elapsed_hours"} {
		summary[k] = out[k]
	}
	b.schemas["IncidentSummary"] = object(slices.Sorted(maps.Keys(summary)), summary)

	b.schemas["Person"] = object([]string{"id", "line", "name", "lang", "notice"}, obj{
		"id": id, "line": obj{"type": "integer", "description": "The person's line in the imported file."},
		"name": str(), "email": str(), "address": str(), "lang": str("enum", []string{"fr", "en"}),
		"notice": obj{"oneOf": []obj{{"type": "null"}, object([]string{"channel", "state", "queued_at", "done_at"}, obj{
			"channel":   str("enum", []incident.Channel{incident.ChannelEmail, incident.ChannelPost}),
			"state":     str("enum", []string{incident.StateQueued, incident.StateSent, incident.StateFailed, incident.StateToPost, incident.StatePosted}),
			"queued_at": timestamp, "done_at": nullTime,
		})}},
	})
	b.schemas["IncidentSettings"] = object([]string{"overdue_hours", "neq"}, obj{
		"overdue_hours": obj{"type": "integer", "minimum": 1, "maximum": 2160, "description": "Hours after discovered_at from which an incident " +
			"assessed serious whose notices are not all given is overdue (default 72)."},
		"neq": str("pattern", `^(\d{10})?$`, "description", "The Québec enterprise number, given in the notice to the Commission; empty for none."),
	})

	base, one := o+"/incidents", o+"/incidents/{incident}"
	withIncident := func(description string) obj { return reply(description, ref("Incident")) }
	created := withIncident("The incident.")
	created["headers"] = obj{"Location": obj{"required": true, "description": "URL of the incident.", "schema": str()}}
	b.op("POST", base, operation{id: "declareIncident", summary: "Declare a confidentiality incident (staff, officers)", tag: tag,
		body: jsonBody(ref("IncidentInput")), status: 201, response: created, errors: writeErrors})
	b.op("GET", base, operation{id: "listIncidents", summary: "List the register, newest discovery first (audited)", tag: tag,
		query: []obj{
			queryParam("open", "true for open incidents, false for closed ones.", obj{"type": "boolean"}),
			queryParam("serious", "true for those assessed serious, false for those assessed not serious.", obj{"type": "boolean"}),
			queryParam("from", "Discovered at or after: a date or an RFC 3339 date-time.", when),
			queryParam("to", "Discovered before.", when),
		},
		status: 200, response: reply("The incidents, without their texts.", itemsOf(ref("IncidentSummary"))), errors: []int{401, 403, 404, 422, 500}})
	b.op("GET", base+"/export", operation{id: "exportIncidents", summary: "Export the register with the fields of Reg-I s. 7 (audited)", tag: tag,
		query: []obj{
			queryParam("format", "csv or pdf.", str("enum", []string{"csv", "pdf"}, "default", "csv")),
			queryParam("lang", "Language of the labels and values.", str("enum", []string{"fr", "en"}, "default", "fr")),
		},
		status: 200, response: obj{"description": "Every incident, oldest discovery first: reference, then the fields of Reg-I s. 7 in order " +
			"(docs/incidents.md).",
			"content": obj{"text/csv": obj{"schema": str()}, "application/pdf": obj{"schema": str("format", "binary")}}},
		errors: []int{401, 403, 404, 422, 500}})
	b.op("GET", one, operation{id: "getIncident", summary: "Get an incident with its assessments, disclosures and history (audited)", tag: tag,
		status: 200, response: withIncident("The incident."), errors: adminReads})
	b.op("PATCH", one, operation{id: "updateIncident", summary: "Correct an incident, close or reopen it (officers); the change is kept in its history", tag: tag,
		body: jsonBody(ref("IncidentPatch")), status: 200, response: withIncident("The incident as saved."), errors: writeErrors})
	b.op("DELETE", one, operation{id: "deleteIncident", summary: "Delete an incident, at least five years after discovered_at (officers)", tag: tag,
		status: 204, response: obj{"description": "Deleted."}, errors: []int{401, 403, 404, 409, 500}})
	b.op("POST", one+"/assessments", operation{id: "assessIncident", summary: "Assess the risk of serious injury (officers)", tag: tag,
		body: jsonBody(object([]string{"sensitivity", "consequences", "likelihood", "serious", "grounds"}, obj{
			"sensitivity": level, "consequences": level, "likelihood": level, "serious": obj{"type": "boolean"}, "grounds": text,
		})), status: 201, response: withIncident("The incident with the new assessment."), errors: writeErrors})
	b.op("POST", one+"/disclosures", operation{id: "discloseIncident", summary: "Record a communication to someone who can reduce the risk (officers)", tag: tag,
		body: jsonBody(object([]string{"recipient", "information", "reason"}, obj{
			"disclosed_at": when, "recipient": str("maxLength", 300), "information": text, "reason": text,
		})), status: 201, response: withIncident("The incident with the disclosure."), errors: writeErrors})
	b.op("GET", one+"/notices/cai", operation{id: "getCAINotice", summary: "Get the notice to the Commission (Reg-I s. 3) as text or PDF (audited)", tag: tag,
		query: []obj{
			queryParam("format", "text to paste into the Commission's form, or pdf.", str("enum", []string{"text", "pdf"}, "default", "text")),
			queryParam("lang", "Language of the notice.", str("enum", []string{"fr", "en"}, "default", "fr")),
		},
		status: 200, response: obj{"description": "The notice. A required item left blank answers 422, naming each one.",
			"content": obj{"text/plain": obj{"schema": str()}, "application/pdf": obj{"schema": str("format", "binary")}}},
		errors: []int{401, 403, 404, 422, 500}})
	b.op("GET", one+"/notices/persons", operation{id: "getPersonNotice", summary: "Preview the notice to the people concerned (Reg-I s. 5) (audited)", tag: tag,
		query:  []obj{queryParam("lang", "Language of the notice.", str("enum", []string{"fr", "en"}, "default", "fr"))},
		status: 200, response: reply("The notice, with a placeholder for the person's name; 422 names the items left blank.", object([]string{"lang", "subject", "text"},
			obj{"lang": str("enum", []string{"fr", "en"}), "subject": str(), "text": str()})),
		errors: []int{401, 403, 404, 422, 500}})
	b.op("POST", one+"/notices/persons/send", operation{id: "sendPersonNotices", summary: "Send the notice to every person concerned not yet notified (officers)", tag: tag,
		status: 200, response: reply("What was queued: one email per person with an address, in their language; the people without one are listed for a letter.",
			object([]string{"emails_queued", "letters_to_post", "already_notified", "by_post"}, obj{
				"emails_queued": obj{"type": "integer"}, "letters_to_post": obj{"type": "integer"}, "already_notified": obj{"type": "integer"},
				"by_post": arrayOf(ref("Person")),
			})), errors: []int{401, 403, 404, 409, 422, 500}})
	b.op("POST", one+"/notices/persons/posted", operation{id: "markLettersPosted", summary: "Record the letters to the people without email as posted (officers)", tag: tag,
		body:   jsonBody(object(nil, obj{"posted_at": when})),
		status: 200, response: reply("How many letters were recorded.", object([]string{"letters_posted"}, obj{"letters_posted": obj{"type": "integer"}})),
		errors: writeErrors})
	b.op("POST", one+"/people", operation{id: "importPeople", summary: "Import the people concerned from CSV (officers; up to 10,000, all or none)", tag: tag,
		body: obj{"text/csv": obj{"schema": str("description", "A header row naming the columns name (or nom), email (courriel), address (adresse), "+
			"lang (langue), then one person per row; comma or semicolon. A bad row refuses the whole file: details names each line as line[N].")}},
		status: 201, response: reply("How many people were added.", object([]string{"imported"}, obj{"imported": obj{"type": "integer"}})),
		errors: writeErrors})
	b.op("GET", one+"/people", operation{id: "listPeople", summary: "List the people concerned and their notices (audited)", tag: tag,
		status: 200, response: reply("The people, in file order.", itemsOf(ref("Person"))), errors: adminReads})
	b.op("DELETE", one+"/people", operation{id: "destroyPeople", summary: "Destroy the list of people concerned, keeping the counts (officers)", tag: tag,
		status: 204, response: obj{"description": "Destroyed, with the addresses kept in the outbox for their notices."}, errors: []int{401, 403, 404, 409, 500}})
	for p := range b.paths {
		if strings.HasPrefix(p, one) {
			item := b.paths[p].(obj)
			params, _ := item["parameters"].([]any)
			item["parameters"] = append(params, pathParam("incident", "The incident's id.", id))
		}
	}
	b.op("GET", o+"/incident-settings", operation{id: "getIncidentSettings", summary: "Get the incident settings", tag: tag,
		status: 200, response: reply("The settings.", ref("IncidentSettings")), errors: adminReads})
	b.op("PUT", o+"/incident-settings", operation{id: "putIncidentSettings", summary: "Change the incident settings (officers)", tag: tag,
		body: jsonBody(ref("IncidentSettings")), status: 200, response: reply("The settings as saved.", ref("IncidentSettings")), errors: writeErrors})
}
