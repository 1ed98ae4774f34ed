package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"privaq"
	"privaq/internal/inventory"
)

// The OpenAPI 3.1 description of the API (SPEC §1) is built in Go from the
// same tables the routes use: the sections, the inventory collections'
// field descriptors and the error-code table. A new collection or field
// therefore shows up in the document without anyone editing it, and
// openapi_test.go proves that every registered route is described.

// Patterns of the values the inventory validator accepts.
const (
	keyPattern      = `^[a-z0-9][a-z0-9_-]{0,62}$`
	locationPattern = `^[A-Z]{2}(-[A-Z]{2,3})?$`
	// ISO 8601 durations as inventory.Duration parses them: P, then at
	// least one date or time part, each part at most once and in order.
	durationDate    = `\d+Y(\d+M)?(\d+W)?(\d+D)?|\d+M(\d+W)?(\d+D)?|\d+W(\d+D)?|\d+D`
	durationTime    = `T(\d+H(\d+M)?(\d+S)?|\d+M(\d+S)?|\d+S)`
	durationPattern = `P((` + durationDate + `)(` + durationTime + `)?|` + durationTime + `)`
)

// obj is a JSON object of the document under construction.
type obj = map[string]any

// openAPIDoc depends on nothing but code, so it is built once, when the
// package initializes: a descriptor the builder cannot map stops the binary
// at start (and the tests), never a request.
var openAPIDoc = buildOpenAPI()

// OpenAPI returns the OpenAPI 3.1 document describing the API, as JSON.
// Callers must not modify it.
func (a *API) OpenAPI() []byte { return openAPIDoc }

func (a *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(a.OpenAPI())
}

// operation is one method on one path, before it is turned into JSON.
type operation struct {
	id, summary, tag string
	query            []obj // query parameters
	body             obj   // request body content, by media type
	status           int   // the success status
	response         obj   // the success response
	more             obj   // other success responses, by status
	errors           []int // the error statuses the handler can answer
}

type builder struct {
	paths, schemas obj
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }

// str is a string schema, with extra keyword and value pairs.
func str(extra ...any) obj {
	s := obj{"type": "string"}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i].(string)] = extra[i+1]
	}
	return s
}

// object is a closed object: the API rejects unknown fields (SPEC §4), and
// what it answers has no field the document does not name.
func object(required []string, props obj) obj {
	o := obj{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func jsonBody(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func reply(description string, schema obj) obj {
	return obj{"description": description, "content": jsonBody(schema)}
}

// itemsOf is the envelope of every list: {"items": […]}.
func itemsOf(schema obj) obj { return object([]string{"items"}, obj{"items": arrayOf(schema)}) }

func queryParam(name, description string, schema obj) obj {
	return obj{"name": name, "in": "query", "description": description, "schema": schema}
}

func pathParam(name, description string, schema obj) obj {
	return obj{"name": name, "in": "path", "required": true, "description": description, "schema": schema}
}

// Error statuses each kind of handler can answer, beyond its success.
var (
	readErrors  = []int{401, 404, 500}
	adminReads  = []int{401, 403, 404, 500}
	writeErrors = []int{400, 401, 403, 404, 413, 415, 422, 500}
	itemWrites  = []int{400, 401, 403, 404, 409, 413, 415, 422, 500}
)

func (b *builder) op(method, path string, o operation) {
	item, _ := b.paths[path].(obj)
	if item == nil {
		item = obj{}
		var params []any
		for _, p := range []struct {
			name string
			p    obj
		}{
			{"{org}", pathParam("org", "The organization's slug.", str("maxLength", 40))},
			{"{key}", pathParam("key", "The item's key, a stable slug chosen by the user.", str("pattern", keyPattern))},
			{"{id}", pathParam("id", "The API token's id.", obj{"type": "integer", "format": "int64"})},
			{"{n}", pathParam("n", "The policy version's number.", obj{"type": "integer", "minimum": 1})},
			{"{request}", pathParam("request", "The request's id.", obj{"type": "integer", "format": "int64", "minimum": 1})},
			{"{export}", pathParam("export", "The archive's id.", obj{"type": "integer", "format": "int64", "minimum": 1})},
			{"{run}", pathParam("run", "The run's id.", obj{"type": "integer", "format": "int64", "minimum": 1})},
		} {
			if strings.Contains(path, p.name) {
				params = append(params, p.p)
			}
		}
		if params != nil {
			item["parameters"] = params
		}
		b.paths[path] = item
	}
	out := obj{"operationId": o.id, "summary": o.summary, "tags": []string{o.tag}}
	if o.query != nil {
		out["parameters"] = o.query
	}
	if o.body != nil {
		out["requestBody"] = obj{"required": true, "content": o.body}
	}
	responses := obj{strconv.Itoa(o.status): o.response}
	for s, r := range o.more {
		responses[s] = r
	}
	for _, s := range o.errors {
		responses[strconv.Itoa(s)] = obj{"$ref": "#/components/responses/" + string(codeOf(s))}
	}
	out["responses"] = responses
	item[strings.ToLower(method)] = out
}

// codeHelp says when each error code of SPEC §4 is answered.
var codeHelp = map[privaq.Code]string{
	privaq.EInvalidJSON:     "the body is not well-formed JSON (or YAML).",
	privaq.EValidation:      "a value is invalid; field names it, details lists every problem.",
	privaq.EUnauthorized:    "the bearer token is missing, unknown or revoked.",
	privaq.EForbidden:       "the token's role does not allow this action.",
	privaq.ENotFound:        "no such resource in this organization, or no such organization for this token.",
	privaq.EConflict:        "the key is taken, or the item is still referred to.",
	privaq.ETooLarge:        "the body exceeds 1 MiB (10 MiB for the whole inventory).",
	privaq.EUnsupportedType: "the body's Content-Type is not one this endpoint reads.",
	privaq.ERateLimited:     "too many requests; retry after Retry-After seconds.",
	privaq.EInternal:        "an unexpected error, logged on the server.",
}

// codeOf is the error code answered with status s (one per status).
func codeOf(s int) privaq.Code {
	for c, st := range statuses {
		if st == s {
			return c
		}
	}
	panic("api: no error code for status " + strconv.Itoa(s))
}

// typeName is the Go type name of a section or item: Purpose, PolicySettings…
func typeName(v any) string { return reflect.TypeOf(v).Elem().Name() }

// words turns a Go or document name into lower-case words: "data category".
func words(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || r == '-':
			b.WriteByte(' ')
		case unicode.IsUpper(r):
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// camel turns a document name into an identifier part: DataCategories.
func camel(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// fieldSchema maps one field descriptor to its JSON Schema.
func fieldSchema(f inventory.Field) obj {
	switch f.Kind {
	case inventory.KindKey:
		return str("pattern", keyPattern, "description", "Stable slug chosen by the user.")
	case inventory.KindString:
		return str("maxLength", inventory.MaxLineLen)
	case inventory.KindText, inventory.KindLongText:
		return ref("Text")
	case inventory.KindBool:
		return obj{"type": "boolean"}
	case inventory.KindEnum:
		return str("enum", f.Options)
	case inventory.KindSet:
		s := arrayOf(str("enum", f.Options))
		s["uniqueItems"] = true
		return s
	case inventory.KindRef:
		return str("description", "The key of an item of "+f.Ref+".")
	case inventory.KindRefs:
		s := arrayOf(str("description", "The key of an item of "+f.Ref+"."))
		s["uniqueItems"] = true
		return s
	case inventory.KindLocation:
		return str("pattern", locationPattern, "description", "ISO 3166 code: a country (CA, US) or a subdivision (CA-QC for Quebec).")
	case inventory.KindDuration:
		if f.Session {
			return str("pattern", "^(session|"+durationPattern+")$", "description", "ISO 8601 duration (P13M), or session.")
		}
		return str("pattern", "^"+durationPattern+"$", "description", "ISO 8601 duration, such as P7Y or P30D.")
	case inventory.KindList:
		return arrayOf(str("maxLength", inventory.MaxLineLen))
	}
	panic("api: no schema for field kind " + string(f.Kind))
}

func itemSchema(c inventory.Collection) obj {
	props := obj{}
	var required []string
	for _, f := range c.Fields() {
		props[f.Name] = fieldSchema(f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	return object(required, props)
}

// schemas are the components not derived from the collection descriptors.
func (b *builder) baseSchemas() {
	var codes []string
	for c := range statuses {
		codes = append(codes, string(c))
	}
	slices.Sort(codes)
	problem := obj{
		"code":    str("enum", codes),
		"message": str("description", "A sentence for people; do not parse it."),
		"field":   str("description", "Path of the offending field, relative to the item sent: purposes[0], name.fr."),
	}
	detail := object([]string{"code", "message"}, problem)
	withDetails := obj{"details": arrayOf(detail)}
	for k, v := range problem {
		withDetails[k] = v
	}
	langs := arrayOf(str("enum", inventory.Languages))
	langs["uniqueItems"] = true
	timestamp := str("format", "date-time")
	roles := b.roles(true)
	for name, s := range map[string]obj{
		"Error": object([]string{"error"}, obj{"error": object([]string{"code", "message"}, withDetails)}),
		"Text": object([]string{"fr"}, obj{
			"fr": str("description", "French text, required: the reference language."),
			"en": str("description", "English text, optional."),
		}),
		"Profile": object([]string{"name", "regime", "languages"}, obj{
			"name":       str("maxLength", inventory.MaxLineLen),
			"legal_name": str("maxLength", inventory.MaxLineLen),
			"regime":     str("enum", []string{string(inventory.RegimePrivate), string(inventory.RegimePublic), string(inventory.RegimeBoth)}),
			"website":    str("format", "uri"),
			"address":    str("maxLength", inventory.MaxLongTextLen),
			"languages":  langs,
		}),
		"Officer": object(nil, obj{
			"name":    str("maxLength", inventory.MaxLineLen),
			"title":   str("maxLength", inventory.MaxLineLen),
			"email":   str("format", "email"),
			"phone":   str("maxLength", inventory.MaxLineLen),
			"address": str("maxLength", inventory.MaxLongTextLen),
		}),
		"PolicySettings": object([]string{"request_delay_days"}, obj{
			"notice_days":              obj{"type": "integer", "minimum": 0, "maximum": 365},
			"request_delay_days":       obj{"type": "integer", "minimum": 1, "description": "At most 30 days (private sector, P 32) or 20 (public bodies, A 98)."},
			"adopted_by":               str("maxLength", inventory.MaxLineLen),
			"adopted_on":               str("format", "date"),
			"reconsent_on_new_purpose": obj{"type": "boolean"},
			"paragraphs": obj{"type": "array", "description": "The officer's own Markdown texts, added at the end of policy sections (sanitized when rendered).",
				"items": object([]string{"section", "text"}, obj{
					"section": str("enum", inventory.PolicySections),
					"text":    ref("Text"),
				})},
			"banner": ref("BannerSettings"),
		}),
		"Finding": object([]string{"id", "severity", "article", "message"}, obj{
			"id":         str("description", "Stable identifier of the rule."),
			"severity":   str("enum", []string{string(inventory.SeverityError), string(inventory.SeverityWarning), string(inventory.SeverityInfo)}),
			"article":    str("description", "The sections of the Act the rule comes from."),
			"message":    ref("Text"),
			"field":      str(),
			"collection": str(),
			"key":        str(),
		}),
		"AuditEntry": object([]string{"id", "at", "actor_kind", "actor", "action", "target"}, obj{
			"id":             obj{"type": "integer", "format": "int64"},
			"at":             timestamp,
			"actor_kind":     str("enum", []string{string(privaq.ActorUser), string(privaq.ActorToken), string(privaq.ActorSystem)}),
			"actor_user_id":  obj{"type": "integer", "format": "int64"},
			"actor_token_id": obj{"type": "integer", "format": "int64"},
			"actor":          str("description", "An email, a token name or the actor kind."),
			"action":         str(),
			"target":         str(),
			"detail":         obj{"type": "object"},
			"ip":             str("description", "Client network, truncated (/24 or /48)."),
		}),
		"Token": object([]string{"id", "name", "role", "prefix", "created_at", "last_used_at", "revoked_at"}, obj{
			"id":           obj{"type": "integer", "format": "int64"},
			"name":         str(),
			"role":         str("enum", roles),
			"prefix":       str("description", "The first characters of the token, to recognize it."),
			"created_at":   timestamp,
			"last_used_at": obj{"type": []string{"string", "null"}, "format": "date-time"},
			"revoked_at":   obj{"type": []string{"string", "null"}, "format": "date-time"},
		}),
		"NewToken": object([]string{"token", "id", "name", "role", "prefix", "created_at"}, obj{
			"token":      str("description", "The secret, shown this once: send it as Authorization: Bearer pq_…"),
			"id":         obj{"type": "integer", "format": "int64"},
			"name":       str(),
			"role":       str("enum", roles),
			"prefix":     str(),
			"created_at": timestamp,
		}),
		"Member": object([]string{"id", "email", "name", "role", "totp_enabled"}, obj{
			"id":           obj{"type": "integer", "format": "int64"},
			"email":        str("format", "email"),
			"name":         str(),
			"role":         str("enum", roles),
			"totp_enabled": obj{"type": "boolean"},
		}),
		"NewMember": object([]string{"id", "email", "name", "role"}, obj{
			"id":       obj{"type": "integer", "format": "int64"},
			"email":    str("format", "email"),
			"name":     str(),
			"role":     str("enum", roles),
			"password": str("description", "Generated password of a new account, shown this once."),
		}),
		"Org": object([]string{"slug", "name", "regime", "created_at"}, obj{
			"slug":       str(),
			"name":       str(),
			"regime":     str("enum", []string{string(inventory.RegimePrivate), string(inventory.RegimePublic), string(inventory.RegimeBoth)}),
			"created_at": timestamp,
		}),
	} {
		b.schemas[name] = s
	}
}

func buildOpenAPI() []byte {
	b := &builder{paths: obj{}, schemas: obj{}}
	b.baseSchemas()
	const o = "/api/v1/orgs/{org}"
	meta, orgs, inv, comp, aud, access := "meta", "organizations", "inventory", "compliance", "audit", "access"

	b.op("GET", "/api/v1/openapi.json", operation{id: "getOpenAPI", summary: "This document", tag: meta,
		status: 200, response: reply("The OpenAPI 3.1 description of the API.", obj{"type": "object"})})
	b.op("GET", "/api/v1/orgs", operation{id: "listOrgs", summary: "List the organizations the token belongs to", tag: orgs,
		status: 200, response: reply("The token's organization.", itemsOf(ref("Org"))), errors: []int{401, 500}})
	b.op("GET", o, operation{id: "getOrg", summary: "Get an organization", tag: orgs,
		status: 200, response: reply("The organization.", ref("Org")), errors: readErrors})

	// The whole inventory, in JSON or YAML (SPEC §5's import/export format).
	format := []obj{queryParam("format", "Format of the answer.", str("enum", []string{"json", "yaml"}, "default", "json"))}
	etag := obj{"ETag": obj{"$ref": "#/components/headers/ETag"}}
	document := reply("The whole inventory.", ref("Document"))
	document["content"].(obj)["application/yaml"] = obj{"schema": ref("Document")}
	document["headers"] = etag
	b.op("GET", o+"/inventory", operation{id: "getInventory", summary: "Get the whole inventory", tag: inv,
		query: format, status: 200, response: document, errors: []int{401, 404, 422, 500}})
	upload := obj{}
	for _, mt := range []string{"application/json", "application/yaml", "application/x-yaml", "text/yaml"} {
		upload[mt] = obj{"schema": ref("Document")}
	}
	b.op("PUT", o+"/inventory", operation{id: "replaceInventory", summary: "Replace the whole inventory atomically (at most 10 MiB)", tag: inv,
		query: format, body: upload, status: 200, response: document, errors: writeErrors})

	withETag := func(r obj) obj { r["headers"] = etag; return r }
	for _, s := range sections {
		name := typeName(s.empty())
		b.op("GET", o+"/"+s.path, operation{id: "get" + name, summary: "Get the " + words(name), tag: inv,
			status: 200, response: withETag(reply("The "+words(name)+".", ref(name))), errors: readErrors})
		b.op("PUT", o+"/"+s.path, operation{id: "put" + name, summary: "Replace the " + words(name), tag: inv,
			body: jsonBody(ref(name)), status: 200, response: reply("The "+words(name)+" as saved.", ref(name)), errors: writeErrors})
	}

	docProps := obj{"org": ref("Profile"), "officer": ref("Officer"), "policy": ref("PolicySettings")}
	for _, c := range inventory.Collections {
		one, many := typeName(c.Empty()), camel(c.Name())
		noun, nouns := words(one), words(c.Name())
		b.schemas[one] = itemSchema(c)
		docProps[c.Name()] = arrayOf(ref(one))
		base := o + "/" + c.Path()
		created := reply("The "+noun+" as created.", ref(one))
		created["headers"] = obj{"Location": obj{"required": true, "description": "URL of the new " + noun + ".", "schema": str()}}
		b.op("GET", base, operation{id: "list" + many, summary: "List the " + nouns, tag: inv,
			status: 200, response: withETag(reply("The "+nouns+", in document order.", itemsOf(ref(one)))), errors: readErrors})
		b.op("POST", base, operation{id: "create" + one, summary: "Create " + article(noun), tag: inv,
			body: jsonBody(ref(one)), status: 201, response: created, errors: itemWrites})
		b.op("GET", base+"/{key}", operation{id: "get" + one, summary: "Get " + article(noun), tag: inv,
			status: 200, response: withETag(reply("The "+noun+".", ref(one))), errors: readErrors})
		b.op("PUT", base+"/{key}", operation{id: "put" + one, summary: "Replace or create " + article(noun) + "; a new key renames it and its references", tag: inv,
			body: jsonBody(ref(one)), status: 200, response: reply("The "+noun+" as saved.", ref(one)),
			more: obj{"201": reply("The "+noun+", created because no item had this key.", ref(one))}, errors: itemWrites})
		b.op("DELETE", base+"/{key}", operation{id: "delete" + one, summary: "Delete " + article(noun) + " no activity refers to", tag: inv,
			status: 204, response: obj{"description": "Deleted."}, errors: []int{401, 403, 404, 409, 500}})
	}
	b.schemas["Document"] = object([]string{"org"}, docProps)

	counts := obj{}
	for _, s := range []inventory.Severity{inventory.SeverityError, inventory.SeverityWarning, inventory.SeverityInfo} {
		counts[string(s)] = obj{"type": "integer", "minimum": 1}
	}
	b.policyOps(o)
	b.noticeOps(o)
	b.consentOps(o)
	b.webhookOps(o)
	b.incidentOps(o)
	b.requestOps(o)
	b.connectorOps(o)
	b.bannerOps(o)

	b.op("GET", o+"/checks", operation{id: "getChecks", summary: "Run the compliance check on the inventory", tag: comp,
		status: 200, response: reply("Every gap between the inventory and Law 25, errors first.", object([]string{"findings", "counts"}, obj{
			"findings": arrayOf(ref("Finding")),
			"counts":   object(nil, counts),
		})), errors: readErrors})
	b.op("GET", o+"/audit", operation{id: "listAudit", summary: "Read the audit log, newest first", tag: aud,
		query: []obj{
			queryParam("action", "Keep the actions starting with this prefix, such as inventory.", str()),
			queryParam("before", "Keep the entries with a smaller id, to page.", obj{"type": "integer", "format": "int64", "minimum": 1}),
			queryParam("limit", "How many entries to return.", obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
		},
		status: 200, response: reply("The entries.", itemsOf(ref("AuditEntry"))), errors: []int{401, 403, 404, 422, 500}})

	b.op("GET", o+"/tokens", operation{id: "listTokens", summary: "List the API tokens, newest first", tag: access,
		status: 200, response: reply("The tokens, without their secrets.", itemsOf(ref("Token"))), errors: adminReads})
	b.op("POST", o+"/tokens", operation{id: "createToken", summary: "Create an API token", tag: access,
		body:   jsonBody(object([]string{"role"}, obj{"name": str("maxLength", 100), "role": str("enum", b.roles(true))})),
		status: 201, response: reply("The token, with its secret shown this once.", ref("NewToken")), errors: writeErrors})
	b.op("DELETE", o+"/tokens/{id}", operation{id: "revokeToken", summary: "Revoke an API token", tag: access,
		status: 204, response: obj{"description": "Revoked."}, errors: []int{401, 403, 404, 500}})
	b.op("GET", o+"/members", operation{id: "listMembers", summary: "List the staff members", tag: access,
		status: 200, response: reply("The members.", itemsOf(ref("Member"))), errors: adminReads})
	b.op("POST", o+"/members", operation{id: "addMember", summary: "Add a staff member, creating the account if needed", tag: access,
		body:   jsonBody(object([]string{"email", "role"}, obj{"email": str("format", "email"), "name": str(), "role": str("enum", b.roles(false))})),
		status: 201, response: reply("The member; password only for a new account.", ref("NewMember")), errors: slices.Concat(writeErrors, []int{409})})

	// One response per error code, its schema pinning the code, so that a
	// client (and the tests) can rely on the status-to-code table.
	responses := obj{}
	for c, s := range statuses {
		pin := obj{"properties": obj{"error": obj{"properties": obj{"code": str("enum", []privaq.Code{c})}}}}
		responses[string(c)] = reply(http.StatusText(s)+": "+codeHelp[c], obj{"allOf": []obj{ref("Error"), pin}})
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "privaq staff API",
			"version": "1",
			"description": "The JSON API of privaq, for staff and their systems (Quebec's Law 25). " +
				"Errors are {\"error\":{\"code\",\"message\",\"field\"}}; validation errors about several fields list them all in details.",
		},
		"tags": []obj{
			{"name": meta}, {"name": orgs}, {"name": inv, "description": "The inventory: the single source of truth for the policy, the banner, retention and requests."},
			{"name": "policies", "description": "Versions of the privacy policy: drafts, publication, notice period (SPEC §6)."},
			{"name": "incidents", "description": "The register of confidentiality incidents and their notices (SPEC §10)."},
			{"name": "requests", "description": "Rights requests: deadlines, identity, written answers (SPEC §9)."},
			{"name": comp}, {"name": aud}, {"name": access, "description": "API tokens and staff members (officers only)."},
		},
		"security": []obj{{"bearer": []string{}}},
		"paths":    b.paths,
		"components": obj{
			"schemas":   b.schemas,
			"responses": responses,
			"headers":   obj{"ETag": obj{"description": "Revision of the inventory.", "schema": str()}},
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "pq_…",
				"description": "An API token of the organization: Authorization: Bearer pq_…"}},
		},
	}
	// The document itself is public: clients read it before holding a token.
	b.paths["/api/v1/openapi.json"].(obj)["get"].(obj)["security"] = []obj{}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		panic("api: encode the OpenAPI document: " + err.Error())
	}
	return buf.Bytes()
}

// roles lists the roles a token (or, without integration, a person) may have.
func (b *builder) roles(tokens bool) []string {
	var out []string
	for _, r := range privaq.Roles {
		if tokens || r != privaq.RoleIntegration {
			out = append(out, string(r))
		}
	}
	return out
}
