package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/connector"
	"privaq/internal/rights"
)

// The connectors page (SPEC §9): the officer registers the organization's
// databases, tests them, maps their tables, and sees which lookups lack an
// index; everyone who reads requests sees the destruction log.

type connectorView struct {
	rights.Connector
	Mapping  string // the tables as indented JSON, for the editor
	Warnings []string
}

type connectorsView struct {
	*Page
	Connectors   []connectorView
	Destructions []rights.Destruction
	Kinds        []string
	Error        string
	// Form keeps what was typed when a form is refused.
	Form    map[string]string
	Example string
	// SQLiteDir is where this organization's SQLite files must lie.
	SQLiteDir string
}

func (w *Web) handleConnectors(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	if r.URL.Query().Has("done") {
		q.Flash = q.T("req.admin.saved")
	}
	return w.showConnectors(rw, r, q, nil, nil)
}

func (w *Web) showConnectors(rw http.ResponseWriter, r *http.Request, q *req, form map[string]string, actionErr error) error {
	list, err := w.Rights.Connectors(r.Context(), q.actor, q.org.ID)
	if err != nil {
		return err
	}
	v := &connectorsView{Page: q.Page, Kinds: []string{string(connector.KindPostgres), string(connector.KindMySQL), string(connector.KindSQLite)},
		Form: form}
	if v.SQLiteDir, err = w.Rights.SQLiteDirOf(r.Context(), q.org.ID); err != nil {
		return err
	}
	ex, _ := json.MarshalIndent(connector.SampleMapping()[:2], "", "  ")
	v.Example = string(ex)
	for _, c := range list {
		cv := connectorView{Connector: c}
		m, _ := json.MarshalIndent(c.Tables, "", "  ")
		cv.Mapping = string(m)
		if form != nil && form["key"] == c.Key && form["tables"] != "" {
			cv.Mapping = form["tables"]
		}
		if c.Report != nil {
			for _, t := range c.Report.Tables {
				if !t.Indexed {
					cv.Warnings = append(cv.Warnings, q.T("conn.no_index", t.Table, t.Lookup))
				}
			}
		}
		v.Connectors = append(v.Connectors, cv)
	}
	if v.Destructions, err = w.Rights.Destructions(r.Context(), q.actor, q.org.ID); err != nil {
		return err
	}
	if actionErr != nil {
		v.Error = localMessage(q.Page, actionErr)
		q.Status = http.StatusUnprocessableEntity
	}
	q.Nav, q.Title = "connectors", q.T("nav.connectors")
	w.render(rw, r, "connectors", v)
	return nil
}

// localMessage is a coded error's message in the page's language, with
// the field it is about.
func localMessage(p *Page, err error) string {
	var pe *privaq.Error
	if !errors.As(err, &pe) {
		return p.T("error.internal")
	}
	msg := pe.Message
	if p.Lang == "fr" && pe.FR != "" {
		msg = pe.FR
	}
	if pe.Field != "" {
		msg = pe.Field + " : " + msg
	}
	return msg
}

func (w *Web) handleConnectorCreate(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	in := rights.ConnectorInput{Key: r.PostForm.Get("key"), Kind: connector.Kind(r.PostForm.Get("kind")), DSN: r.PostForm.Get("dsn")}
	if _, err := w.Rights.CreateConnector(r.Context(), q.actor, q.org.ID, in); err != nil {
		if userError(err) {
			// The DSN is not echoed back: it holds the password.
			return w.showConnectors(rw, r, q, map[string]string{"key": in.Key, "kind": string(in.Kind)}, err)
		}
		return err
	}
	// Test at once, so the officer sees whether it connects.
	w.Rights.TestConnector(r.Context(), q.actor, q.org.ID, in.Key)
	http.Redirect(rw, r, q.orgURL("connectors")+"?done=1#c-"+in.Key, http.StatusSeeOther)
	return nil
}

func (w *Web) handleConnectorAction(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	key, ctx := r.PathValue("key"), r.Context()
	var err error
	form := map[string]string{"key": key}
	switch r.PathValue("action") {
	case "test":
		_, err = w.Rights.TestConnector(ctx, q.actor, q.org.ID, key)
		if err != nil && userError(err) {
			// The failure is recorded and shown beside the connector.
			err = nil
		}
	case "tables":
		form["tables"] = r.PostForm.Get("tables")
		var tables []connector.Table
		dec := json.NewDecoder(strings.NewReader(form["tables"]))
		dec.DisallowUnknownFields()
		if derr := dec.Decode(&tables); derr != nil {
			at := ""
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(derr, &se):
				at = strconv.FormatInt(se.Offset, 10)
			case errors.As(derr, &te):
				at = strconv.FormatInt(te.Offset, 10)
			}
			err = &privaq.Error{Code: privaq.EValidation, Field: "tables",
				Message: "the mapping is not a valid JSON list of tables (near character " + at + ")",
				FR:      "L’association n’est pas une liste de tables en JSON valide (vers le caractère " + at + ")."}
		} else {
			_, err = w.Rights.SetTables(ctx, q.actor, q.org.ID, key, tables)
		}
	case "delete":
		err = w.Rights.DeleteConnector(ctx, q.actor, q.org.ID, key)
	default:
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	if err != nil {
		if userError(err) {
			return w.showConnectors(rw, r, q, form, err)
		}
		return err
	}
	http.Redirect(rw, r, q.orgURL("connectors")+"?done=1#c-"+key, http.StatusSeeOther)
	return nil
}

// runView is a run with what the signed-in user may do with it.
type runView struct {
	rights.Run
	Mine, CanApprove bool
}

// requestWork is the connectors part of a request's file.
type requestWork struct {
	Connectors  []rights.Connector
	Exports     []rights.Export
	Runs        []runView
	Identifiers string
}

func (w *Web) requestWork(r *http.Request, q *req, rq rights.Request) (requestWork, error) {
	var out requestWork
	var err error
	if out.Connectors, err = w.Rights.Connectors(r.Context(), q.actor, q.org.ID); err != nil {
		return out, err
	}
	if out.Exports, err = w.Rights.Exports(r.Context(), q.actor, q.org.ID, rq.ID); err != nil {
		return out, err
	}
	runs, err := w.Rights.Runs(r.Context(), q.actor, q.org.ID, rq.ID)
	if err != nil {
		return out, err
	}
	for _, run := range runs {
		mine := run.PlannerKind == privaq.ActorUser && run.PlannerUser == q.actor.UserID
		out.Runs = append(out.Runs, runView{Run: run, Mine: mine,
			CanApprove: run.Status == rights.RunPlanned && !mine && q.Role.Can(privaq.PermRequestManage)})
	}
	var lines []string
	for k, v := range rq.Identifiers {
		lines = append(lines, k+"="+v)
	}
	slices.Sort(lines)
	out.Identifiers = strings.Join(lines, "\n")
	return out, nil
}

// parseIdentifiers reads "name=value" lines.
func parseIdentifiers(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.TrimSpace(k) != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// parseCorrections reads the rectification form's rows; empty rows are
// the unused ones.
func parseCorrections(r *http.Request) []rights.Correction {
	f := r.PostForm
	var out []rights.Correction
	for i, table := range f["corr_table"] {
		at := func(name string) string {
			if l := f[name]; i < len(l) {
				return strings.TrimSpace(l[i])
			}
			return ""
		}
		if strings.TrimSpace(table) == "" && at("corr_column") == "" {
			continue
		}
		out = append(out, rights.Correction{Connector: at("corr_connector"), Table: strings.TrimSpace(table), Column: at("corr_column"), Value: at("corr_value")})
	}
	return out
}

// handleRequestExport downloads an archive for staff (audited).
func (w *Web) handleRequestExport(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.requestsEnabled(q); err != nil {
		return err
	}
	id, err := requestIDOf(r)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(r.PathValue("export"), 10, 64)
	if err != nil {
		return privaq.Errorf(privaq.ENotFound, "not found")
	}
	x, data, err := w.Rights.ExportData(r.Context(), q.actor, q.org.ID, id, n)
	if err != nil {
		return err
	}
	download(rw, "application/zip", x.FileName(), data)
	return nil
}
