package web

import "net/http"

// Routes registers the admin pages.
func (w *Web) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/admin/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /admin/static/{file}", w.handleCSS)
	mux.Handle("GET /admin/login", w.guard(http.HandlerFunc(w.handleLoginForm)))
	mux.Handle("POST /admin/login", w.guard(http.HandlerFunc(w.handleLogin)))
	mux.Handle("GET /admin/login/totp", w.guard(http.HandlerFunc(w.handleTOTPForm)))
	mux.Handle("POST /admin/login/totp", w.guard(http.HandlerFunc(w.handleTOTP)))
	mux.Handle("POST /admin/logout", w.signedIn(false, w.handleLogout))
	mux.Handle("GET /admin/{$}", w.signedIn(false, w.handleHome))
	mux.Handle("GET /admin/orgs", w.signedIn(false, w.handleOrgs))
	mux.Handle("POST /admin/orgs", w.signedIn(false, w.handleOrgCreate))
	mux.Handle("GET /admin/account", w.signedIn(false, w.handleAccount))
	mux.Handle("POST /admin/account/totp", w.signedIn(false, w.handleTOTPEnable))

	const o = "/admin/o/{org}"
	mux.Handle("GET "+o+"/{$}", w.signedIn(true, w.handleDashboard))
	mux.Handle("GET "+o+"/profile", w.signedIn(true, w.handleProfileForm))
	mux.Handle("POST "+o+"/profile", w.signedIn(true, w.handleProfileSave))
	mux.Handle("GET "+o+"/officer", w.signedIn(true, w.handleOfficerForm))
	mux.Handle("POST "+o+"/officer", w.signedIn(true, w.handleOfficerSave))
	mux.Handle("GET "+o+"/inventory/{coll}", w.signedIn(true, w.handleItems))
	mux.Handle("GET "+o+"/inventory/{coll}/_new", w.signedIn(true, w.handleItemForm))
	mux.Handle("POST "+o+"/inventory/{coll}/_new", w.signedIn(true, w.handleItemSave))
	mux.Handle("GET "+o+"/inventory/{coll}/{key}", w.signedIn(true, w.handleItemForm))
	mux.Handle("POST "+o+"/inventory/{coll}/{key}", w.signedIn(true, w.handleItemSave))
	mux.Handle("POST "+o+"/inventory/{coll}/{key}/delete", w.signedIn(true, w.handleItemDelete))
	mux.Handle("GET "+o+"/inventory/activities/{key}/notice", w.signedIn(true, w.handleNotice))
	mux.Handle("GET "+o+"/checks", w.signedIn(true, w.handleChecks))
	mux.Handle("GET "+o+"/policy", w.signedIn(true, w.handlePolicyPreview))
	mux.Handle("GET "+o+"/policy/paragraphs", w.signedIn(true, w.handleParagraphsForm))
	mux.Handle("POST "+o+"/policy/paragraphs", w.signedIn(true, w.handleParagraphsSave))
	mux.Handle("POST "+o+"/policy/versions", w.signedIn(true, w.handlePolicyDraft))
	mux.Handle("POST "+o+"/policy/versions/{n}/publish", w.signedIn(true, w.handlePolicyPublish))
	mux.Handle("GET "+o+"/audit", w.signedIn(true, w.handleAudit))
	mux.Handle("GET "+o+"/mail", w.signedIn(true, w.handleMail))
	mux.Handle("GET "+o+"/mail/{id}", w.signedIn(true, w.handleMessage))
	mux.Handle("GET "+o+"/transfer", w.signedIn(true, w.handleTransfer))
	mux.Handle("GET "+o+"/transfer/export", w.signedIn(true, w.handleExport))
	mux.Handle("POST "+o+"/transfer/import", w.signedIn(true, w.handleImport))
	mux.Handle("GET "+o+"/access", w.signedIn(true, w.handleAccess))
	mux.Handle("POST "+o+"/access/tokens", w.signedIn(true, w.handleTokenCreate))
	mux.Handle("POST "+o+"/access/tokens/{id}/revoke", w.signedIn(true, w.handleTokenRevoke))
	mux.Handle("POST "+o+"/access/members", w.signedIn(true, w.handleMemberAdd))
}
