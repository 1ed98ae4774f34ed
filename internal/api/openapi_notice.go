package api

import "privaq/internal/inventory"

// noticeOps describes the collection notice of an activity: what the
// organization shows beside the form that collects (P 8, A 65).
func (b *builder) noticeOps(o string) {
	b.schemas["CollectionNotice"] = object([]string{"activity", "lang", "title", "html", "text"}, obj{
		"activity": str("pattern", keyPattern, "description", "The activity's key."),
		"lang":     str("enum", inventory.Languages),
		"title":    str(),
		"html": str("description", `A self-contained <section class="privaq-notice"> to paste beside the form: `+
			"no script, no style, every inventory text escaped, with a link to the full policy."),
		"text": str("description", "The same notice as plain text, one paragraph or list item per line."),
	})
	one := reply("The notice; with format=html, the HTML snippet alone.", ref("CollectionNotice"))
	one["content"].(obj)["text/html"] = obj{"schema": str()}
	b.op("GET", o+"/activities/{key}/notice", operation{id: "getActivityNotice",
		summary: "Get the collection notice of an activity, written from the current inventory", tag: "policies",
		query: []obj{
			queryParam("lang", "Language of the notice.", str("enum", inventory.Languages, "default", "fr")),
			queryParam("format", "json for the notice in both forms, html for the snippet alone.", str("enum", []string{"json", "html"}, "default", "json")),
		},
		status: 200, response: one, errors: []int{401, 404, 422, 500}})
}
