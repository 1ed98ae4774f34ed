package api

import (
	"net/http"

	"privaq/internal/inventory"
)

// Route is one endpoint, listed so that the OpenAPI test can prove every
// registered route is described.
type Route struct {
	Method, Pattern string
}

// Routes registers every API endpoint on mux and returns the list.
func (a *API) Routes(mux *http.ServeMux) []Route {
	a.mux = mux
	var routes []Route
	handle := func(method, pattern string, h http.Handler) {
		mux.Handle(method+" "+pattern, h)
		routes = append(routes, Route{method, pattern})
	}
	const o = "/api/v1/orgs/{org}"
	handle("GET", "/api/v1/openapi.json", http.HandlerFunc(a.handleOpenAPI))
	handle("GET", "/api/v1/orgs", a.wrap(a.handleOrgsList))
	handle("GET", o, a.wrap(a.handleOrgGet))
	handle("GET", o+"/inventory", a.wrap(a.handleInventoryGet))
	handle("PUT", o+"/inventory", a.wrap(a.handleInventoryPut))
	for _, s := range sections {
		handle("GET", o+"/"+s.path, a.wrap(a.handleSectionGet(s)))
		handle("PUT", o+"/"+s.path, a.wrap(a.handleSectionPut(s)))
	}
	for _, c := range inventory.Collections {
		base := o + "/" + c.Path()
		handle("GET", base, a.wrap(a.handleItemsList(c)))
		handle("POST", base, a.wrap(a.handleItemCreate(c)))
		handle("GET", base+"/{key}", a.wrap(a.handleItemGet(c)))
		handle("PUT", base+"/{key}", a.wrap(a.handleItemPut(c)))
		handle("DELETE", base+"/{key}", a.wrap(a.handleItemDelete(c)))
	}
	handle("POST", o+"/policies", a.wrap(a.handlePolicyCreate))
	handle("GET", o+"/policies", a.wrap(a.handlePoliciesList))
	handle("GET", o+"/policies/{n}", a.wrap(a.handlePolicyGet))
	handle("POST", o+"/policies/{n}/publish", a.wrap(a.handlePolicyPublish))
	handle("GET", o+"/activities/{key}/notice", a.wrap(a.handleNotice))
	handle("POST", o+"/consents", a.wrap(a.handleConsentsCreate))
	handle("GET", o+"/decisions", a.wrap(a.handleDecisionGet))
	handle("POST", o+"/decisions", a.wrap(a.handleDecisionsBulk))
	handle("GET", o+"/subjects/{subject}/consents", a.wrap(a.handleSubjectConsents))
	handle("GET", o+"/ledger/verify", a.wrap(a.handleLedgerVerify))
	handle("GET", o+"/consents/export", a.wrap(a.handleConsentsExport))
	handle("GET", o+"/banner", a.wrap(a.handleBannerGet))
	handle("PUT", o+"/banner", a.wrap(a.handleBannerPut))
	handle("POST", o+"/webhooks", a.wrap(a.handleWebhookCreate))
	handle("GET", o+"/webhooks", a.wrap(a.handleWebhooksList))
	handle("DELETE", o+"/webhooks/{webhook}", a.wrap(a.handleWebhookDelete))
	handle("GET", o+"/webhooks/{webhook}/deliveries", a.wrap(a.handleWebhookDeliveries))
	const inc = o + "/incidents/{incident}"
	handle("POST", o+"/incidents", a.wrap(a.handleIncidentCreate))
	handle("GET", o+"/incidents", a.wrap(a.handleIncidentsList))
	handle("GET", o+"/incidents/export", a.wrap(a.handleIncidentsExport))
	handle("GET", inc, a.wrap(a.handleIncidentGet))
	handle("PATCH", inc, a.wrap(a.handleIncidentPatch))
	handle("DELETE", inc, a.wrap(a.handleIncidentDelete))
	handle("POST", inc+"/assessments", a.wrap(a.handleAssessmentCreate))
	handle("POST", inc+"/disclosures", a.wrap(a.handleDisclosureCreate))
	handle("GET", inc+"/notices/cai", a.wrap(a.handleCAINotice))
	handle("GET", inc+"/notices/persons", a.wrap(a.handlePersonNotice))
	handle("POST", inc+"/notices/persons/send", a.wrap(a.handleNoticesSend))
	handle("POST", inc+"/notices/persons/posted", a.wrap(a.handleNoticesPosted))
	handle("POST", inc+"/people", a.wrap(a.handlePeopleImport))
	handle("GET", inc+"/people", a.wrap(a.handlePeopleList))
	handle("DELETE", inc+"/people", a.wrap(a.handlePeopleDestroy))
	handle("GET", o+"/incident-settings", a.wrap(a.handleIncidentSettingsGet))
	handle("PUT", o+"/incident-settings", a.wrap(a.handleIncidentSettingsPut))
	a.requestRoutes(handle, o)
	a.connectorRoutes(handle, o)
	handle("GET", o+"/checks", a.wrap(a.handleChecks))
	handle("GET", o+"/audit", a.wrap(a.handleAudit))
	handle("GET", o+"/tokens", a.wrap(a.handleTokensList))
	handle("POST", o+"/tokens", a.wrap(a.handleTokenCreate))
	handle("DELETE", o+"/tokens/{id}", a.wrap(a.handleTokenRevoke))
	handle("GET", o+"/members", a.wrap(a.handleMembersList))
	handle("POST", o+"/members", a.wrap(a.handleMemberAdd))
	// Anything else under /api/ is a JSON 404, not the web UI's HTML page.
	mux.HandleFunc("/api/", a.handleNotFound)
	return routes
}
