package api

import (
	"slices"

	"privaq/internal/connector"
	"privaq/internal/rights"
)

// connectorOps describes connectors and the runs on requests (SPEC §9).
func (b *builder) connectorOps(o string) {
	const tag = "connectors"
	timestamp := str("format", "date-time")
	nullTime := obj{"type": []string{"string", "null"}, "format": "date-time"}
	id := obj{"type": "integer", "format": "int64", "minimum": 1}
	count := obj{"type": "integer", "minimum": 0}
	name := str("maxLength", 127)
	b.schemas["ConnectorTable"] = object([]string{"name", "erasure"}, obj{
		"name":           str("maxLength", 127, "description", "The table, qualified by its schema if needed."),
		"subject_column": str("maxLength", 63, "description", "The column holding the identifier; or give parent instead."),
		"identifier":     str("maxLength", 40, "description", "Which of the request's identifiers the column holds, such as email."),
		"parent":         name, "foreign_key": name, "parent_key": name,
		"erasure": str("enum", []connector.Erasure{connector.ErasureDelete, connector.ErasureAnonymize, connector.ErasureKeep}),
		"columns": arrayOf(object([]string{"column", "rule"}, obj{"column": name,
			"rule":  str("enum", []connector.Rule{connector.RuleNull, connector.RuleFixed, connector.RuleHash, connector.RuleYear}),
			"value": str("maxLength", 200)})),
		"reason": str("maxLength", 500, "description", "The legal reason to keep the rows; required for keep."),
	})
	report := obj{"oneOf": []obj{{"type": "null"}, object([]string{"version", "tables"}, obj{"version": str(),
		"tables": arrayOf(object([]string{"table", "lookup", "indexed"}, obj{"table": str(), "lookup": str(),
			"indexed":     obj{"type": "boolean", "description": "false: no index starts with the lookup column, so each request reads the whole table."},
			"primary_key": arrayOf(str())}))})}}
	b.schemas["Connector"] = object([]string{"key", "kind", "tables", "created_at", "updated_at", "tested_at"}, obj{
		"key": str(), "kind": str("enum", []connector.Kind{connector.KindPostgres, connector.KindMySQL, connector.KindSQLite}),
		"tables": arrayOf(ref("ConnectorTable")), "created_at": timestamp, "updated_at": timestamp, "tested_at": nullTime,
		"test_error": str(), "report": report,
	})
	mapping := object([]string{"tables", "report"}, obj{"tables": arrayOf(ref("ConnectorTable")), "report": report})
	b.schemas["Export"] = object([]string{"id", "request_id", "created_at", "expires_at", "size", "rows", "downloaded_at"}, obj{
		"id": id, "request_id": id, "created_at": timestamp, "expires_at": timestamp, "size": count, "rows": count, "downloaded_at": nullTime})
	planTable := object([]string{"connector", "table", "action", "rows"}, obj{"connector": str(), "table": str(),
		"action": str("description", "delete, anonymize, keep, rectify, skip, or rolled_back in a failed result."), "rows": count,
		"reason": str(), "error": str()})
	b.schemas["Run"] = object([]string{"id", "request_id", "kind", "status", "plan", "samples", "planned_by", "planned_at", "finished_at", "result"}, obj{
		"id": id, "request_id": id, "kind": str("enum", []rights.RunKind{rights.RunErase, rights.RunRectify}),
		"status": str("enum", []rights.RunStatus{rights.RunPlanned, rights.RunDone, rights.RunFailed}),
		"plan":   arrayOf(planTable),
		"samples": arrayOf(object([]string{"connector", "table", "columns", "rows"}, obj{"connector": str(), "table": str(),
			"columns": arrayOf(str()), "rows": arrayOf(arrayOf(obj{}))})),
		"corrections": arrayOf(object([]string{"connector", "table", "column", "value"}, obj{"connector": str(), "table": str(), "column": str(), "value": str()})),
		"planned_by":  str(), "planned_at": timestamp, "approved_by": str(), "finished_at": nullTime,
		"result": arrayOf(planTable), "error": str(),
	})
	conflicts := slices.Concat(writeErrors, []int{409})

	base, key := o+"/connectors", o+"/connectors/{key}"
	b.op("POST", base, operation{id: "createConnector", summary: "Register a database of the organization; the DSN is sealed and never returned (officers)", tag: tag,
		body: jsonBody(object([]string{"key", "kind", "dsn"}, obj{"key": str("pattern", "^[a-z][a-z0-9_-]{0,39}$"),
			"kind": str("enum", []connector.Kind{connector.KindPostgres, connector.KindMySQL, connector.KindSQLite}),
			"dsn":  str("description", "postgres://user:password@host:5432/db, user:password@tcp(host:3306)/db, or a SQLite file's path in the connectors directory.")})),
		status: 201, response: reply("The connector, untested.", ref("Connector")), errors: conflicts})
	b.op("GET", base, operation{id: "listConnectors", summary: "List the connectors, without their DSNs", tag: tag,
		status: 200, response: reply("The connectors.", itemsOf(ref("Connector"))), errors: adminReads})
	b.op("GET", key, operation{id: "getConnector", summary: "Get a connector, its mapping and its last test", tag: tag,
		status: 200, response: reply("The connector.", ref("Connector")), errors: adminReads})
	b.op("DELETE", key, operation{id: "deleteConnector", summary: "Forget a connector and its DSN", tag: tag,
		status: 204, response: obj{"description": "Deleted."}, errors: adminReads})
	b.op("POST", key+"/test", operation{id: "testConnector", summary: "Connect and check the mapping against the live schema; the outcome is recorded", tag: tag,
		status: 200, response: reply("The connector with test_error empty on success, or the reason it failed.", ref("Connector")), errors: adminReads})
	b.op("GET", key+"/tables", operation{id: "getConnectorTables", summary: "Get the mapping and which lookups lack an index", tag: tag,
		status: 200, response: reply("The mapping.", mapping), errors: adminReads})
	b.op("PUT", key+"/tables", operation{id: "setConnectorTables", summary: "Replace the mapping after checking every table and column exists", tag: tag,
		body: jsonBody(object([]string{"tables"}, obj{"tables": arrayOf(ref("ConnectorTable"))})), status: 200, response: reply("The mapping as checked.", mapping),
		errors: conflicts})
	b.op("GET", o+"/destructions", operation{id: "listDestructions", summary: "The destruction log: what was erased, how many rows, by whom, under which request", tag: tag,
		status: 200, response: reply("The entries, newest first; no personal information.", itemsOf(object([]string{"id", "at", "request_id", "reference", "run_id",
			"connector", "table", "action", "rows", "planned_by", "approved_by"}, obj{"id": id, "at": timestamp, "request_id": id, "reference": str(), "run_id": id,
			"connector": str(), "table": str(), "action": str(), "rows": count, "planned_by": str(), "approved_by": str()}))), errors: adminReads})

	one := o + "/requests/{request}"
	withRequest := reply("The request.", ref("Request"))
	b.op("PUT", one+"/identifiers", operation{id: "setRequestIdentifiers", summary: "Set the references that find the person in the databases (email, customer_id…)", tag: "requests",
		body:   jsonBody(object([]string{"identifiers"}, obj{"identifiers": obj{"type": "object", "additionalProperties": str("maxLength", 300)}})),
		status: 200, response: withRequest, errors: conflicts})
	b.op("POST", one+"/extend", operation{id: "extendRequest", summary: "Extend a public body's delay once by 10 days, with the notice sent before the first delay ends (A 98)", tag: "requests",
		body: jsonBody(object([]string{"reason"}, obj{"reason": str("maxLength", 2000)})), status: 200, response: withRequest, errors: conflicts})
	b.op("POST", one+"/clarify", operation{id: "clarifyRequest", summary: "Ask the requester for clarification by letter; the legal delay does not change", tag: "requests",
		body: jsonBody(object([]string{"question"}, obj{"question": str("maxLength", 10000)})), status: 200, response: withRequest, errors: conflicts})
	b.op("POST", one+"/assign", operation{id: "assignRequest", summary: "Give the request to an officer or staff member (assignee_id 0 for nobody); reminders go to them", tag: "requests",
		body:   jsonBody(object([]string{"assignee_id"}, obj{"assignee_id": obj{"type": "integer", "format": "int64", "minimum": 0}})),
		status: 200, response: withRequest, errors: conflicts})
	b.op("POST", one+"/collect", operation{id: "collectRequest", summary: "Collect every mapped row about the person into a ZIP for the requester (access, portability; audited)", tag: tag,
		status: 201, response: reply("The archive, downloadable from the status page until it expires.", ref("Export")), errors: slices.Concat(adminReads, []int{409, 422})})
	b.op("GET", one+"/exports", operation{id: "listRequestExports", summary: "List a request's archives", tag: tag,
		status: 200, response: reply("The archives.", itemsOf(ref("Export"))), errors: adminReads})
	b.op("GET", one+"/exports/{export}", operation{id: "getRequestExport", summary: "Download an archive (audited)", tag: tag,
		status: 200, response: obj{"description": "The ZIP.", "content": obj{"application/zip": obj{"schema": str("format", "binary")}}}, errors: adminReads})
	b.op("POST", one+"/erase", operation{id: "planErasure", summary: "Dry run of an erasure: tables, row counts and a sample; nothing changes", tag: tag,
		body:   jsonBody(object([]string{"dry_run"}, obj{"dry_run": obj{"type": "boolean", "const": true}})),
		status: 201, response: reply("The planned run, waiting for another staff member's approval.", ref("Run")), errors: conflicts})
	b.op("POST", one+"/rectify", operation{id: "planRectification", summary: "Dry run of staff-entered corrections", tag: tag,
		body: jsonBody(object([]string{"corrections"}, obj{"corrections": arrayOf(object([]string{"connector", "table", "column", "value"}, obj{
			"connector": str(), "table": str(), "column": str(), "value": str("maxLength", 300, "description", "Empty to empty the column.")}))})),
		status: 201, response: reply("The planned run.", ref("Run")), errors: conflicts})
	b.op("GET", one+"/runs", operation{id: "listRequestRuns", summary: "List a request's erasure and rectification runs with their samples (audited)", tag: tag,
		status: 200, response: reply("The runs.", itemsOf(ref("Run"))), errors: adminReads})
	for _, k := range []rights.RunKind{rights.RunErase, rights.RunRectify} {
		b.op("POST", one+"/"+string(k)+"/{run}/approve", operation{id: "approve" + map[rights.RunKind]string{rights.RunErase: "Erasure", rights.RunRectify: "Rectification"}[k],
			summary: "Approve and carry out a planned run, in one transaction per database. No one erases alone: the approver is a signed-in staff member other than its planner, so a token always gets 403; approve in the admin", tag: tag,
			status: 200, response: reply("The run, done.", ref("Run")), errors: []int{401, 403, 404, 409, 500}})
	}
}
