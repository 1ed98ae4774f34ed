package rights

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/connector"
)

// Connectors reach the organization's own databases (SPEC §9): the
// officer registers each one with its DSN (sealed at rest, never shown
// again) and maps, per table, how a person is found and what erasure does.
// Requests then collect, rectify and erase through them.

// Connector is a registered database, without its DSN.
type Connector struct {
	Key       string            `json:"key"`
	Kind      connector.Kind    `json:"kind"`
	Tables    []connector.Table `json:"tables"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	// The last test of the connection and check of the mapping.
	TestedAt  *time.Time `json:"tested_at"`
	TestError string     `json:"test_error,omitempty"`
	// TestErrorFR is TestError in French, for the admin pages.
	TestErrorFR string            `json:"-"`
	Report      *connector.Report `json:"report,omitempty"`
}

// Export is an access or portability archive kept for download.
type Export struct {
	ID         int64      `json:"id"`
	RequestID  ID         `json:"request_id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Size       int        `json:"size"`
	Rows       int        `json:"rows"`
	Downloaded *time.Time `json:"downloaded_at"`
}

// FileName is the archive's file name for a download.
func (x Export) FileName() string {
	return "access-" + strconv.FormatInt(int64(x.RequestID), 10) + "-" + x.CreatedAt.UTC().Format("20060102-150405") + ".zip"
}

// ExportFor is how long the requester may download an archive.
const ExportFor = 30 * 24 * time.Hour

// RunKind is what a run changes.
type RunKind string

// Run kinds.
const (
	RunErase   RunKind = "erase"
	RunRectify RunKind = "rectify"
)

// RunStatus is where a run stands.
type RunStatus string

// Run statuses.
const (
	RunPlanned RunStatus = "planned" // dry run done, waiting for a second staff member
	RunDone    RunStatus = "done"
	RunFailed  RunStatus = "failed"
)

// PlanTable is one table of a dry run or of its result: counts only.
type PlanTable struct {
	Connector string `json:"connector"`
	Table     string `json:"table"`
	Action    string `json:"action"`
	Rows      int64  `json:"rows"`
	Reason    string `json:"reason,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Sample is a few of the rows a dry run would change, shown to staff.
type Sample struct {
	Connector string   `json:"connector"`
	Table     string   `json:"table"`
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
}

// Run is an erasure or rectification: planned by a dry run, approved by
// another staff member, then carried out.
type Run struct {
	ID          int64        `json:"id"`
	RequestID   ID           `json:"request_id"`
	Kind        RunKind      `json:"kind"`
	Status      RunStatus    `json:"status"`
	Plan        []PlanTable  `json:"plan"`
	Samples     []Sample     `json:"samples"`
	Corrections []Correction `json:"corrections,omitempty"`
	PlannedBy   string       `json:"planned_by"`
	PlannedAt   time.Time    `json:"planned_at"`
	ApprovedBy  string       `json:"approved_by,omitempty"`
	FinishedAt  *time.Time   `json:"finished_at"`
	Result      []PlanTable  `json:"result"`
	Error       string       `json:"error,omitempty"`
	// Who planned it, to refuse an approval by the same person.
	PlannerKind privaq.ActorKind `json:"-"`
	PlannerUser privaq.UserID    `json:"-"`
	// Fingerprint binds the run to what its dry run saw: each connector's
	// database and mapping, and the request's identifiers. An approval
	// carries out only that.
	Fingerprint string `json:"-"`
}

// Destruction is an entry of the destruction log: what was destroyed or
// anonymized, how many rows, by whom, when, under which request. It holds
// no personal information.
type Destruction struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	RequestID  ID        `json:"request_id"`
	Reference  string    `json:"reference"`
	RunID      int64     `json:"run_id"`
	Connector  string    `json:"connector"`
	Table      string    `json:"table"`
	Action     string    `json:"action"`
	Rows       int64     `json:"rows"`
	PlannedBy  string    `json:"planned_by"`
	ApprovedBy string    `json:"approved_by"`
}

// ConnectorStore keeps connectors, archives, runs and the destruction log.
type ConnectorStore interface {
	// CreateConnector stores c with its DSN sealed; a taken key is a
	// conflict.
	CreateConnector(ctx context.Context, org privaq.OrgID, c Connector, dsn string, e audit.Entry) error
	Connectors(ctx context.Context, org privaq.OrgID) ([]Connector, error)
	// ConnectorDSN returns a connector with its unsealed DSN.
	ConnectorDSN(ctx context.Context, org privaq.OrgID, key string) (Connector, string, error)
	UpdateConnector(ctx context.Context, org privaq.OrgID, key string, e audit.Entry, fn func(*Connector) error) (Connector, error)
	DeleteConnector(ctx context.Context, org privaq.OrgID, key string, e audit.Entry) error

	SaveExport(ctx context.Context, org privaq.OrgID, x *Export, zip []byte, ev Event, e audit.Entry) error
	Exports(ctx context.Context, org privaq.OrgID, id ID) ([]Export, error)
	// ExportData returns an archive; downloaded records its first
	// download, unless the archive has expired.
	ExportData(ctx context.Context, org privaq.OrgID, id ID, export int64, downloaded *time.Time) (Export, []byte, error)

	// PurgeExports destroys the data of the archives expired at now, in
	// every organization, keeping their record; it returns how many.
	PurgeExports(ctx context.Context, now time.Time) (int, error)

	CreateRun(ctx context.Context, org privaq.OrgID, r *Run, ev Event, e audit.Entry) error
	Runs(ctx context.Context, org privaq.OrgID, id ID) ([]Run, error)
	Run(ctx context.Context, org privaq.OrgID, id ID, run int64) (Run, error)
	// ClaimRun moves a planned run to approved under a lock so that two
	// approvals never both carry it out; a run not planned is a conflict.
	ClaimRun(ctx context.Context, org privaq.OrgID, id ID, run int64, now time.Time, check func(*Run) error) (Run, error)
	// InterruptRuns marks failed, with ev's event, the runs claimed before
	// cutoff that never finished.
	InterruptRuns(ctx context.Context, now, cutoff time.Time, message string, ev func(Run) Event) (int, error)
	// FinishRun stores the result, its destruction log entries and event.
	FinishRun(ctx context.Context, org privaq.OrgID, r *Run, log []Destruction, ev Event, e audit.Entry) error
	Destructions(ctx context.Context, org privaq.OrgID) ([]Destruction, error)
}

// ConnectorInput registers a connector.
type ConnectorInput struct {
	Key  string         `json:"key"`
	Kind connector.Kind `json:"kind"`
	DSN  string         `json:"dsn"`
}

func connectorTarget(key string) string { return "connector/" + key }

// protected refuses a DSN that reaches privaq's own database (an officer
// of one organization would read every other's records through it) and a
// SQLite file outside the directory the operator set aside for them.
func (s *Service) protected(ctx context.Context, orgID privaq.OrgID, c connector.Config) error {
	refuse := &privaq.Error{Code: privaq.EValidation, Field: "dsn", Message: "this DSN points at privaq's own database, which a connector may not reach",
		FR: "Ce DSN désigne la base de données de privaq, qu’un connecteur ne peut pas atteindre."}
	if c.Kind == connector.KindSQLite {
		if s.SQLiteDir == "" {
			return &privaq.Error{Code: privaq.EValidation, Field: "dsn", Message: "SQLite connectors are disabled on this server (the operator sets PRIVAQ_CONNECTOR_DIR)",
				FR: "Les connecteurs SQLite sont désactivés sur ce serveur (l’exploitant définit PRIVAQ_CONNECTOR_DIR)."}
		}
		dir, err := s.SQLiteDirOf(ctx, orgID)
		if err != nil {
			return err
		}
		path := resolved(strings.TrimPrefix(strings.SplitN(c.DSN, "?", 2)[0], "file:"))
		if !within(resolved(dir), path) {
			return &privaq.Error{Code: privaq.EValidation, Field: "dsn", Message: "a SQLite connector of this organization opens a file in " + dir + " only",
				FR: "Un connecteur SQLite de cette organisation n’ouvre qu’un fichier de " + dir + "."}
		}
		for _, p := range s.Protected {
			if p != "" && !strings.Contains(p, "://") && within(resolved(p), path) {
				return refuse
			}
		}
		return nil
	}
	if c.Kind != connector.KindPostgres {
		return nil
	}
	for _, p := range s.Protected {
		if strings.HasPrefix(p, "postgres") && connector.SamePostgres(c.DSN, p) {
			return refuse
		}
	}
	return nil
}

// SQLiteDirOf is the directory of an organization's SQLite connectors:
// one per organization, so that no officer opens another's files.
func (s *Service) SQLiteDirOf(ctx context.Context, orgID privaq.OrgID) (string, error) {
	if s.SQLiteDir == "" {
		return "", nil
	}
	o, err := s.Orgs.OrgByID(ctx, orgID)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.SQLiteDir, o.Slug), nil
}

// resolved is an absolute path with its symbolic links followed, so that
// a link cannot lead out of the connectors' directory.
func resolved(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(a); err == nil {
		return r
	}
	return a
}

func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// CreateConnector registers a database of the organization. The DSN is
// checked for its form, not tried: Test tries it.
func (s *Service) CreateConnector(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, in ConnectorInput) (Connector, error) {
	if err := actor.Require(orgID, privaq.PermConnectorWrite); err != nil {
		return Connector{}, err
	}
	cfg := connector.Config{Key: strings.TrimSpace(in.Key), Kind: in.Kind, DSN: strings.TrimSpace(in.DSN)}
	if err := cfg.Validate(); err != nil {
		return Connector{}, err
	}
	if err := s.protected(ctx, orgID, cfg); err != nil {
		return Connector{}, err
	}
	now := s.now()
	c := Connector{Key: cfg.Key, Kind: cfg.Kind, Tables: []connector.Table{}, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateConnector(ctx, orgID, c, cfg.DSN, audit.New(actor, "connector.create", connectorTarget(c.Key),
		map[string]any{"kind": string(c.Kind)})); err != nil {
		return Connector{}, err
	}
	return c, nil
}

// Connectors lists the organization's connectors, without their DSNs.
func (s *Service) Connectors(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID) ([]Connector, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	return s.Store.Connectors(ctx, orgID)
}

// Connector returns one connector, without its DSN.
func (s *Service) Connector(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, key string) (Connector, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return Connector{}, err
	}
	c, _, err := s.Store.ConnectorDSN(ctx, orgID, key)
	return c, err
}

// DeleteConnector forgets a connector and its sealed DSN.
func (s *Service) DeleteConnector(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, key string) error {
	if err := actor.Require(orgID, privaq.PermConnectorWrite); err != nil {
		return err
	}
	return s.Store.DeleteConnector(ctx, orgID, key, audit.New(actor, "connector.delete", connectorTarget(key), nil))
}

// open connects to a registered connector.
func (s *Service) open(ctx context.Context, orgID privaq.OrgID, key string) (Connector, *connector.Conn, error) {
	c, dsn, err := s.Store.ConnectorDSN(ctx, orgID, key)
	if err != nil {
		return c, nil, err
	}
	cfg := connector.Config{Key: c.Key, Kind: c.Kind, DSN: dsn}
	// Checked again at each use: a link may have changed since.
	if err := s.protected(ctx, orgID, cfg); err != nil {
		return c, nil, err
	}
	conn, err := connector.Open(ctx, cfg)
	return c, conn, err
}

// TestConnector connects, checks the mapping against the live schema and
// records the outcome, which the connectors page shows (missing indexes
// included). A failure to connect is recorded and returned.
func (s *Service) TestConnector(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, key string) (Connector, error) {
	if err := actor.Require(orgID, privaq.PermConnectorWrite); err != nil {
		return Connector{}, err
	}
	c, conn, err := s.open(ctx, orgID, key)
	var report *connector.Report
	if err == nil {
		var r connector.Report
		r, err = connector.Check(ctx, conn, c.Tables)
		conn.Close()
		if err == nil {
			report = &r
		}
	}
	if c.Key == "" {
		return c, err
	}
	now := s.now()
	en, fr := "", ""
	if err != nil {
		en, fr = userMessages(err)
	}
	detail := map[string]any{"ok": err == nil}
	c2, uerr := s.Store.UpdateConnector(ctx, orgID, key, audit.New(actor, "connector.test", connectorTarget(key), detail), func(c *Connector) error {
		c.TestedAt, c.TestError, c.TestErrorFR, c.Report = &now, en, fr, report
		return nil
	})
	if uerr != nil {
		return c2, uerr
	}
	return c2, err
}

// userMessage is the message of a coded error, or a generic one: a
// driver's raw error may carry a secret.
func userMessage(err error) string {
	en, _ := userMessages(err)
	return en
}

// userMessages is userMessage in English and French.
func userMessages(err error) (en, fr string) {
	var pe *privaq.Error
	if errors.As(err, &pe) && pe.Code != privaq.EInternal {
		if pe.FR == "" {
			return pe.Message, pe.Message
		}
		return pe.Message, pe.FR
	}
	return "the check failed; see the server log", "La vérification a échoué ; voyez le journal du serveur."
}

// SetTables replaces a connector's mapping after checking it against the
// live schema: a missing table or column is refused, nothing stored.
func (s *Service) SetTables(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, key string, tables []connector.Table) (Connector, error) {
	if err := actor.Require(orgID, privaq.PermConnectorWrite); err != nil {
		return Connector{}, err
	}
	if tables == nil {
		tables = []connector.Table{}
	}
	_, conn, err := s.open(ctx, orgID, key)
	if err != nil {
		return Connector{}, err
	}
	report, err := connector.Check(ctx, conn, tables)
	conn.Close()
	if err != nil {
		return Connector{}, err
	}
	now := s.now()
	return s.Store.UpdateConnector(ctx, orgID, key, audit.New(actor, "connector.tables", connectorTarget(key), map[string]any{"tables": len(tables)}),
		func(c *Connector) error {
			c.Tables, c.Report, c.TestedAt, c.TestError, c.TestErrorFR, c.UpdatedAt = tables, &report, &now, "", "", now
			return nil
		})
}

// identifiers returns the request's identifiers, refusing a request that
// has none.
func identifiers(r *Request) (connector.Identifiers, error) {
	if len(r.Identifiers) == 0 {
		return nil, &privaq.Error{Code: privaq.EConflict, Rule: "identifiers", Message: "give the request an identifier (such as email) to find the person in the databases",
			FR: "Indiquez un identifiant (par exemple le courriel) pour retrouver la personne dans les bases de données."}
	}
	return connector.Identifiers(r.Identifiers), nil
}

// actionable returns an open, verified request to act on.
// With types, the request must be of one of them: an access request
// never erases anything.
func (s *Service) actionable(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, types ...Type) (Request, connector.Identifiers, []Connector, error) {
	if err := actor.Require(orgID, privaq.PermRequestManage); err != nil {
		return Request{}, nil, nil, err
	}
	r, err := s.Store.Request(ctx, orgID, id)
	if err != nil {
		return r, nil, nil, err
	}
	if r.Status == StatusUnconfirmed {
		return r, nil, nil, privaq.Errorf(privaq.ENotFound, "request %d not found", id)
	}
	if r.Status == StatusWithdrawn {
		return r, nil, nil, &privaq.Error{Code: privaq.EConflict, Rule: "withdrawn", Message: "the request was withdrawn: nothing is done for it",
			FR: "La demande a été retirée : rien n’est fait pour elle."}
	}
	if len(types) > 0 && !slices.Contains(types, r.Type) {
		var names []string
		for _, t := range types {
			names = append(names, string(t))
		}
		return r, nil, nil, &privaq.Error{Code: privaq.EConflict, Rule: "request_type",
			Message: "this is done for a request of type " + strings.Join(names, " or ") + ", not " + string(r.Type),
			FR:      "Cette opération se fait pour une demande de type " + strings.Join(names, " ou ") + ", pas " + string(r.Type) + "."}
	}
	if err := needIdentity(&r); err != nil {
		return r, nil, nil, err
	}
	ids, err := identifiers(&r)
	if err != nil {
		return r, nil, nil, err
	}
	cs, err := s.Store.Connectors(ctx, orgID)
	if err == nil && len(cs) == 0 {
		err = &privaq.Error{Code: privaq.EConflict, Rule: "connectors", Message: "register a connector to the organization's databases first",
			FR: "Enregistrez d’abord un connecteur vers les bases de données de l’organisation."}
	}
	return r, ids, cs, err
}

// Collect gathers every mapped row about the person from every connector
// into one ZIP (SPEC §9) kept for ExportFor, which the requester downloads
// from the status page. It is a read of personal information: audited.
func (s *Service) Collect(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) (Export, error) {
	r, ids, cs, err := s.actionable(ctx, actor, orgID, id, TypeAccess, TypePortability)
	if err != nil {
		return Export{}, err
	}
	oi, err := s.info(ctx, orgID)
	if err != nil {
		return Export{}, err
	}
	var sources []connector.Source
	counts := map[string]any{}
	total := 0
	for _, c := range cs {
		_, conn, err := s.open(ctx, orgID, c.Key)
		if err != nil {
			return Export{}, err
		}
		rows, err := connector.Collect(ctx, conn, c.Tables, ids)
		conn.Close()
		if err != nil {
			return Export{}, err
		}
		for _, t := range rows {
			counts[c.Key+"."+t.Table] = len(t.Rows)
			total += len(t.Rows)
		}
		sources = append(sources, connector.Source{Connector: c.Key, Tables: rows})
	}
	now := s.now()
	var buf bytes.Buffer
	meta := connector.ArchiveMeta{Reference: r.Reference, Organization: oi.name(), GeneratedAt: now}
	if err := connector.WriteArchive(&buf, langOf(r.Lang), meta, sources); err != nil {
		return Export{}, err
	}
	x := &Export{RequestID: id, CreatedAt: now, ExpiresAt: now.Add(ExportFor), Size: buf.Len(), Rows: total}
	ev := Event{At: now, actor: actor, Action: "collected", Detail: counts}
	if err := s.Store.SaveExport(ctx, orgID, x, buf.Bytes(), ev, audit.New(actor, "request.collect", target(id),
		map[string]any{"rows": total, "connectors": len(cs)})); err != nil {
		return Export{}, err
	}
	return *x, nil
}

// Exports lists a request's archives.
func (s *Service) Exports(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) ([]Export, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	return s.Store.Exports(ctx, orgID, id)
}

// ExportData returns an archive to a staff member, audited.
func (s *Service) ExportData(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, export int64) (Export, []byte, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return Export{}, nil, err
	}
	x, data, err := s.Store.ExportData(ctx, orgID, id, export, nil)
	if err != nil {
		return x, nil, err
	}
	return x, data, s.Store.AppendAudit(ctx, audit.New(actor, "request.export.read", target(id), map[string]any{"export": export}))
}

// Downloads lists the archives the requester may still download through
// the status link, newest first.
func (s *Service) Downloads(ctx context.Context, orgID privaq.OrgID, token string) ([]Export, error) {
	r, err := s.Status(ctx, orgID, token)
	if err != nil {
		return nil, err
	}
	list, err := s.Store.Exports(ctx, orgID, r.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []Export
	for _, x := range list {
		if now.Before(x.ExpiresAt) {
			out = append(out, x)
		}
	}
	return out, nil
}

// Download returns an archive to the requester, through the status link,
// until it expires.
func (s *Service) Download(ctx context.Context, orgID privaq.OrgID, token string, export int64) (Request, Export, []byte, error) {
	r, err := s.Status(ctx, orgID, token)
	if err != nil {
		return r, Export{}, nil, err
	}
	now := s.now()
	x, data, err := s.Store.ExportData(ctx, orgID, r.ID, export, &now)
	if err != nil {
		return r, x, nil, err
	}
	if now.After(x.ExpiresAt) {
		return r, x, nil, &privaq.Error{Code: privaq.ENotFound, Message: "this download has expired; ask the organization for a new one",
			FR: "Ce téléchargement a expiré : demandez-en un nouveau à l’organisation."}
	}
	e := audit.Entry{OrgID: orgID, Kind: privaq.ActorSystem, Action: "request.export.download", Target: target(r.ID), Detail: map[string]any{"export": export}}
	return r, x, data, s.Store.AppendAudit(ctx, e)
}
