package api

import "privaq/internal/policy"

// policyOps describes the policy version endpoints (SPEC §6).
func (b *builder) policyOps(o string) {
	const tag = "policies"
	timestamp := str("format", "date-time")
	nullTime := obj{"type": []string{"string", "null"}, "format": "date-time"}
	statuses := []string{string(policy.StatusDraft), string(policy.StatusScheduled), string(policy.StatusCurrent), string(policy.StatusSuperseded)}
	kinds := []string{string(policy.ChangePurposeAdded), string(policy.ChangePurposeRemoved), string(policy.ChangeRecipientAdded),
		string(policy.ChangeRecipientRemoved), string(policy.ChangeDelayIncreased), string(policy.ChangeDelayDecreased),
		string(policy.ChangeRetentionLonger), string(policy.ChangeRetentionShorter)}
	b.schemas["PolicyChange"] = object([]string{"kind", "key", "significant", "text"}, obj{
		"kind":        str("enum", kinds),
		"key":         str("description", "What changed: an activity/purpose pair, a recipient or retention rule key, or a setting."),
		"significant": obj{"type": "boolean", "description": "A new purpose needing consent, a new recipient outside Quebec, a right reduced or a longer retention."},
		"text":        ref("Text"),
	})
	versionProps := func() obj {
		return obj{
			"number":       obj{"type": "integer", "minimum": 1},
			"status":       str("enum", statuses, "description", "draft until published; then scheduled until effective_at, current, and superseded once a later version takes effect."),
			"created_at":   timestamp,
			"effective_at": nullTime,
			"published_at": nullTime,
			"editorial":    obj{"type": "boolean"},
			"significant":  obj{"type": "boolean"},
		}
	}
	required := []string{"number", "status", "created_at", "effective_at", "published_at", "editorial", "significant"}
	b.schemas["PolicyVersion"] = object(required, versionProps())
	detail := versionProps()
	detail["reason"] = str("description", "Why an editorial change skipped the notice period.")
	detail["summary_of_changes"] = ref("Text")
	detail["inventory_rev"] = obj{"type": "integer", "format": "int64", "description": "Revision of the inventory the version was drafted from."}
	detail["changes"] = arrayOf(ref("PolicyChange"))
	detail["renewal_purposes"] = arrayOf(str("description", "A purpose whose consents given under an earlier version need renewal after the significant changes."))
	detail["notices"] = obj{"type": "integer", "minimum": 0, "description": "Change notices queued for subscribers at publication."}
	detail["notice_deliveries"] = obj{"type": "object", "description": "The change notices by delivery status (pending, sent, failed).",
		"additionalProperties": obj{"type": "integer"}}
	detail["policy"] = obj{"type": "object", "description": "The policy rendered from the version's inventory, by language (fr, and en when published in English).",
		"additionalProperties": ref("Policy")}
	b.schemas["PolicyVersionDetail"] = object(append(required, "summary_of_changes", "inventory_rev", "changes", "renewal_purposes", "notices", "notice_deliveries", "policy"), detail)

	b.op("POST", o+"/policies", operation{id: "createPolicyDraft", summary: "Create a draft version from the current inventory", tag: tag,
		status: 201, response: reply("The draft, with what changed since the latest published version.", object([]string{"number", "status", "significant", "changes", "renewal_purposes"}, obj{
			"number":           obj{"type": "integer", "minimum": 1},
			"status":           str("enum", []string{string(policy.StatusDraft)}),
			"significant":      obj{"type": "boolean"},
			"changes":          arrayOf(ref("PolicyChange")),
			"renewal_purposes": arrayOf(str()),
		})), errors: []int{401, 403, 404, 500}})
	b.op("GET", o+"/policies", operation{id: "listPolicyVersions", summary: "List the policy versions, newest first", tag: tag,
		status: 200, response: reply("The versions.", itemsOf(ref("PolicyVersion"))), errors: readErrors})
	b.schemas["Policy"] = obj{"type": "object", "required": []string{"lang", "title", "status", "summary", "sections"},
		"description": "A policy rendered in one language: title, status line, summary table and sections of blocks."}
	one := reply("The version with its rendered policy; with lang or format, the policy alone in one language.",
		obj{"anyOf": []obj{ref("PolicyVersionDetail"), ref("Policy")}})
	content := one["content"].(obj)
	content["text/html"] = obj{"schema": str()}
	content["text/markdown"] = obj{"schema": str()}
	b.op("GET", o+"/policies/{n}", operation{id: "getPolicyVersion", summary: "Get a policy version", tag: tag,
		query: []obj{
			queryParam("lang", "Render the policy in this language only.", str("enum", []string{"fr", "en"})),
			queryParam("format", "Format of the policy rendered in one language.", str("enum", []string{"json", "html", "md"})),
		},
		status: 200, response: one, errors: []int{401, 404, 422, 500}})
	b.op("POST", o+"/policies/{n}/publish", operation{id: "publishPolicyVersion", summary: "Publish a draft", tag: tag,
		body: jsonBody(object(nil, obj{
			"effective_at":       str("format", "date-time", "description", "When the version takes effect (RFC 3339). While a version is current, at least notice_days ahead unless editorial; omitted means now."),
			"summary_of_changes": ref("Text"),
			"editorial":          obj{"type": "boolean", "description": "A change of form only, which may skip the notice period."},
			"reason":             str("maxLength", 1000, "description", "Why the change is editorial; required when editorial is true."),
		})),
		status: 200, response: reply("The published version.", ref("PolicyVersion")), errors: []int{400, 401, 403, 404, 409, 413, 415, 422, 500}})
}
