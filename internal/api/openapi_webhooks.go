package api

import (
	"fmt"

	"privaq/internal/consent"
	"privaq/internal/webhook"
)

// webhookOps describes what leaves the ledger (SPEC §7): the streamed
// export, and the webhook endpoints with their deliveries.
func (b *builder) webhookOps(o string) {
	b.exportOp(o)

	const tag = "webhooks"
	timestamp := str("format", "date-time")
	id := obj{"type": "integer", "format": "int64", "minimum": 1}
	events := arrayOf(str("enum", webhook.Events))
	events["uniqueItems"] = true
	events["description"] = webhook.EventWithdrawn + " is always delivered and must be listed (it is the default); add " +
		webhook.EventRecorded + " to receive every record (granted and refused too)."
	endpoint := obj{
		"id":         id,
		"url":        str("format", "uri", "maxLength", webhook.MaxURLLen),
		"events":     events,
		"created_at": timestamp,
	}
	b.schemas["WebhookEndpoint"] = object([]string{"id", "url", "events", "created_at"}, endpoint)
	withSecret := obj{"secret": str("description", "The HMAC-SHA256 key of the Privaq-Signature header, shown this once (docs/webhooks.md).")}
	for k, v := range endpoint {
		withSecret[k] = v
	}
	b.schemas["NewWebhookEndpoint"] = object([]string{"id", "url", "events", "created_at", "secret"}, withSecret)
	nullTime := obj{"type": []string{"string", "null"}, "format": "date-time"}
	b.schemas["WebhookAttempt"] = object([]string{"attempt", "at", "status_code", "error", "duration_ms"}, obj{
		"attempt":     obj{"type": "integer", "minimum": 1},
		"at":          timestamp,
		"status_code": obj{"type": "integer", "description": "The endpoint's HTTP status; 0 when no answer came."},
		"error":       str("description", "Why the attempt failed; empty when it succeeded."),
		"duration_ms": obj{"type": "integer", "minimum": 0},
	})
	b.schemas["WebhookDelivery"] = object([]string{"id", "event_id", "type", "record_id", "seq", "status", "attempts", "next_attempt_at",
		"last_status_code", "last_error", "created_at", "delivered_at", "attempt_log"}, obj{
		"id":               id,
		"event_id":         str("description", "The Privaq-Event-Id header and the body's id: the same for every endpoint and every retry."),
		"type":             str("enum", webhook.Events),
		"record_id":        str(),
		"seq":              id,
		"status":           str("enum", []string{string(webhook.StatusPending), string(webhook.StatusDelivered), string(webhook.StatusFailed)}),
		"attempts":         obj{"type": "integer", "minimum": 0, "maximum": webhook.MaxAttempts},
		"next_attempt_at":  nullTime,
		"last_status_code": obj{"type": "integer"},
		"last_error":       str(),
		"created_at":       timestamp,
		"delivered_at":     nullTime,
		"attempt_log":      arrayOf(ref("WebhookAttempt")),
	})

	base := o + "/webhooks"
	b.op("POST", base, operation{id: "createWebhook", summary: "Register a webhook endpoint (officers)", tag: tag,
		body: jsonBody(object([]string{"url"}, obj{
			"url": str("format", "uri", "maxLength", webhook.MaxURLLen, "description",
				"An https URL (http only for localhost), without credentials or fragment."),
			"events": events,
		})),
		status: 201, response: reply("The endpoint, with its signing secret shown this once.", ref("NewWebhookEndpoint")),
		errors: []int{400, 401, 403, 404, 409, 413, 415, 422, 500}})
	b.op("GET", base, operation{id: "listWebhooks", summary: "List the webhook endpoints", tag: tag,
		status: 200, response: reply("The endpoints, oldest first, without their secrets.", itemsOf(ref("WebhookEndpoint"))), errors: adminReads})
	b.op("DELETE", base+"/{webhook}", operation{id: "deleteWebhook", summary: "Delete a webhook endpoint and its pending deliveries (officers)", tag: tag,
		status: 204, response: obj{"description": "Deleted: nothing more is posted to it."}, errors: []int{401, 403, 404, 500}})
	b.op("GET", base+"/{webhook}/deliveries", operation{id: "listWebhookDeliveries", summary: "List an endpoint's latest deliveries with their attempts", tag: tag,
		status: 200, response: reply(fmt.Sprintf("The latest %d deliveries, newest first.", webhook.RecentDeliveries), itemsOf(ref("WebhookDelivery"))),
		errors: adminReads})
	for _, p := range []string{base + "/{webhook}", base + "/{webhook}/deliveries"} {
		item := b.paths[p].(obj)
		params, _ := item["parameters"].([]any)
		item["parameters"] = append(params, pathParam("webhook", "The webhook endpoint's id.", id))
	}
}

// exportOp describes the streamed export of the ledger.
func (b *builder) exportOp(o string) {
	date := str("pattern", `^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$`)
	stream := obj{
		"description": "The records in sequence order, up to the end of the chain when the export began. " +
			"csv: a header row, then one row per record (free text starting with = + - @ gets a leading apostrophe). " +
			"jsonl and iso27560: one JSON object per line; iso27560 lines are shaped after ISO/IEC TS 27560 consent records " +
			"(docs/consent-export.md). An export cut short by an error ends without completing the transfer.",
		"headers": obj{
			"Privaq-Export-Rows":  obj{"description": "How many records the export holds.", "schema": obj{"type": "integer", "minimum": 0}},
			"Content-Disposition": obj{"description": "attachment, with a file name.", "schema": str()},
		},
		"content": obj{
			"text/csv":             obj{"schema": str()},
			"application/x-ndjson": obj{"schema": str()},
		},
	}
	b.op("GET", o+"/consents/export", operation{id: "exportConsents",
		summary: "Export the consent ledger, streamed (reads personal information: audited; not for integration tokens)", tag: "consents",
		query: []obj{
			queryParam("format", "csv, JSON Lines, or JSON Lines shaped after ISO/IEC TS 27560.",
				str("enum", consent.ExportFormats, "default", consent.FormatCSV)),
			queryParam("purpose", "Keep the records of this purpose key.", str("maxLength", 63)),
			queryParam("from", "Keep the records recorded at or after: a date (UTC midnight) or an RFC 3339 date-time.", date),
			queryParam("to", "Keep the records recorded before: a date-time, or a date, which includes that whole day (UTC).", date),
			queryParam("subject", "Keep one person's records (found by the blind index).", str("minLength", 1, "maxLength", consent.MaxSubjectLen)),
		},
		status: 200, response: stream, errors: []int{401, 403, 404, 422, 500}})
}
