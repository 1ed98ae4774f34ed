package api

import (
	"net/http"
	"strconv"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// Connectors and the runs that act through them (SPEC §9): officers
// register the organization's databases and map their tables; staff
// collect access archives and plan erasures and rectifications, which
// another staff member approves. The DSN goes in and never comes out.

func (a *API) connectorRoutes(handle func(method, pattern string, h http.Handler), o string) {
	key := o + "/connectors/{key}"
	handle("POST", o+"/connectors", a.wrap(a.handleConnectorCreate))
	handle("GET", o+"/connectors", a.wrap(a.handleConnectorsList))
	handle("GET", key, a.wrap(a.handleConnectorGet))
	handle("DELETE", key, a.wrap(a.handleConnectorDelete))
	handle("POST", key+"/test", a.wrap(a.handleConnectorTest))
	handle("GET", key+"/tables", a.wrap(a.handleConnectorTables))
	handle("PUT", key+"/tables", a.wrap(a.handleConnectorSetTables))
	handle("GET", o+"/destructions", a.wrap(a.handleDestructions))

	one := o + "/requests/{request}"
	handle("PUT", one+"/identifiers", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b identifiersBody) (rights.Request, error) {
		return a.Rights.SetIdentifiers(r.Context(), c.actor, c.org.ID, id, b.Identifiers)
	})))
	handle("POST", one+"/extend", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b extendBody) (rights.Request, error) {
		return a.Rights.Extend(r.Context(), c.actor, c.org.ID, id, b.Reason)
	})))
	handle("POST", one+"/clarify", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b clarifyBody) (rights.Request, error) {
		return a.Rights.Clarify(r.Context(), c.actor, c.org.ID, id, b.Question)
	})))
	handle("POST", one+"/assign", a.wrap(requestAction(a, func(r *http.Request, c *call, id rights.ID, b assignBody) (rights.Request, error) {
		return a.Rights.Assign(r.Context(), c.actor, c.org.ID, id, privaq.UserID(b.AssigneeID))
	})))
	handle("POST", one+"/collect", a.wrap(a.handleCollect))
	handle("GET", one+"/exports", a.wrap(a.handleExports))
	handle("GET", one+"/exports/{export}", a.wrap(a.handleExportGet))
	handle("POST", one+"/erase", a.wrap(a.handleErase))
	handle("POST", one+"/rectify", a.wrap(a.handleRectify))
	handle("GET", one+"/runs", a.wrap(a.handleRuns))
	handle("POST", one+"/erase/{run}/approve", a.wrap(a.handleApprove(rights.RunErase)))
	handle("POST", one+"/rectify/{run}/approve", a.wrap(a.handleApprove(rights.RunRectify)))
}

type identifiersBody struct {
	Identifiers map[string]string `json:"identifiers"`
}

type clarifyBody struct {
	Question string `json:"question"`
}

type assignBody struct {
	AssigneeID int64 `json:"assignee_id"`
}

type extendBody struct {
	Reason string `json:"reason"`
}

func writeConnector(w http.ResponseWriter, status int, c rights.Connector) {
	c.Tables = nonNil(c.Tables)
	writeJSON(w, status, c)
}

func (a *API) handleConnectorCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in rights.ConnectorInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	con, err := a.Rights.CreateConnector(r.Context(), c.actor, c.org.ID, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+c.org.Slug+"/connectors/"+con.Key)
	writeConnector(w, http.StatusCreated, con)
	return nil
}

func (a *API) handleConnectorsList(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.Rights.Connectors(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Tables = nonNil(list[i].Tables)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	return nil
}

func (a *API) handleConnectorGet(w http.ResponseWriter, r *http.Request, c *call) error {
	con, err := a.Rights.Connector(r.Context(), c.actor, c.org.ID, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeConnector(w, http.StatusOK, con)
	return nil
}

func (a *API) handleConnectorDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.Rights.DeleteConnector(r.Context(), c.actor, c.org.ID, r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleConnectorTest answers 200 with the connector and its test outcome
// even when the connection failed: the failure is the answer, recorded.
func (a *API) handleConnectorTest(w http.ResponseWriter, r *http.Request, c *call) error {
	con, err := a.Rights.TestConnector(r.Context(), c.actor, c.org.ID, r.PathValue("key"))
	if err != nil && con.Key == "" || privaq.IsCode(err, privaq.EForbidden) {
		return err
	}
	writeConnector(w, http.StatusOK, con)
	return nil
}

func (a *API) handleConnectorTables(w http.ResponseWriter, r *http.Request, c *call) error {
	con, err := a.Rights.Connector(r.Context(), c.actor, c.org.ID, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": nonNil(con.Tables), "report": con.Report})
	return nil
}

type tablesBody struct {
	Tables []connector.Table `json:"tables"`
}

func (a *API) handleConnectorSetTables(w http.ResponseWriter, r *http.Request, c *call) error {
	var b tablesBody
	if err := decodeBody(w, r, &b); err != nil {
		return err
	}
	con, err := a.Rights.SetTables(r.Context(), c.actor, c.org.ID, r.PathValue("key"), b.Tables)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": nonNil(con.Tables), "report": con.Report})
	return nil
}

func (a *API) handleDestructions(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.Rights.Destructions(r.Context(), c.actor, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	return nil
}

func (a *API) handleCollect(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	x, err := a.Rights.Collect(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orgs/"+c.org.Slug+"/requests/"+strconv.FormatInt(int64(id), 10)+"/exports/"+strconv.FormatInt(x.ID, 10))
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (a *API) handleExports(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	list, err := a.Rights.Exports(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	return nil
}

func pathInt(r *http.Request, name, what string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, privaq.Errorf(privaq.ENotFound, "%s %q not found", what, r.PathValue(name))
	}
	return n, nil
}

func (a *API) handleExportGet(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	n, err := pathInt(r, "export", "export")
	if err != nil {
		return err
	}
	x, data, err := a.Rights.ExportData(r.Context(), c.actor, c.org.ID, id, n)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+x.FileName()+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
	return nil
}

type eraseBody struct {
	DryRun *bool `json:"dry_run"`
}

func (a *API) handleErase(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var b eraseBody
	if err := decodeBody(w, r, &b); err != nil {
		return err
	}
	if b.DryRun == nil || !*b.DryRun {
		return privaq.FieldError("dry_run", "an erasure starts with a dry run ({\"dry_run\":true}); another staff member then approves it at …/erase/{run}/approve")
	}
	run, err := a.Rights.PlanErase(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	writeRun(w, http.StatusCreated, run)
	return nil
}

type rectifyBody struct {
	Corrections []rights.Correction `json:"corrections"`
}

func (a *API) handleRectify(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var b rectifyBody
	if err := decodeBody(w, r, &b); err != nil {
		return err
	}
	run, err := a.Rights.PlanRectify(r.Context(), c.actor, c.org.ID, id, b.Corrections)
	if err != nil {
		return err
	}
	writeRun(w, http.StatusCreated, run)
	return nil
}

func writeRun(w http.ResponseWriter, status int, run rights.Run) { writeJSON(w, status, runLists(run)) }

// runLists makes a run's lists never null.
func runLists(run rights.Run) rights.Run {
	run.Plan, run.Samples, run.Result, run.Corrections = nonNil(run.Plan), nonNil(run.Samples), nonNil(run.Result), nonNil(run.Corrections)
	return run
}

func (a *API) handleRuns(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := requestID(r)
	if err != nil {
		return err
	}
	list, err := a.Rights.Runs(r.Context(), c.actor, c.org.ID, id)
	if err != nil {
		return err
	}
	for i := range list {
		list[i] = runLists(list[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(list)})
	return nil
}

func (a *API) handleApprove(kind rights.RunKind) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		id, err := requestID(r)
		if err != nil {
			return err
		}
		n, err := pathInt(r, "run", "run")
		if err != nil {
			return err
		}
		run, err := a.Rights.Approve(r.Context(), c.actor, c.org.ID, id, n, kind)
		if err != nil {
			return err
		}
		writeRun(w, http.StatusOK, run)
		return nil
	}
}
