package rights

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/connector"
)

// Erasure and rectification change the organization's databases, so each
// is a two-step run (SPEC §9): a dry run shows staff the tables, row counts
// and a sample of the rows; a second staff member approves; privaq then
// carries it out in one transaction per database and writes the
// destruction log.

// Correction is a staff-entered correction for a rectification.
type Correction struct {
	Connector string `json:"connector"`
	Table     string `json:"table"`
	Column    string `json:"column"`
	Value     string `json:"value"`
}

// sampleRows is how many rows of each table a dry run shows.
const sampleRows = 5

func runTarget(id ID, run int64) string { return target(id) + "/run/" + strconv.FormatInt(run, 10) }

// PlanErase makes the dry run of an erasure: nothing changes.
func (s *Service) PlanErase(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) (Run, error) {
	r, ids, cs, err := s.actionable(ctx, actor, orgID, id, TypeDeletion)
	if err != nil {
		return Run{}, err
	}
	// Taken before the dry run, from what it acts on: an approval then
	// carries out exactly that.
	run := Run{RequestID: id, Kind: RunErase}
	if run.Fingerprint, err = s.fingerprint(ctx, orgID, cs, ids); err != nil {
		return Run{}, err
	}
	for _, c := range cs {
		_, conn, err := s.open(ctx, orgID, c.Key)
		if err != nil {
			return Run{}, err
		}
		plan, err := connector.PlanErase(ctx, conn, c.Tables, ids, sampleRows)
		conn.Close()
		if err != nil {
			return Run{}, err
		}
		for _, t := range plan.Tables {
			run.Plan = append(run.Plan, PlanTable{Connector: c.Key, Table: t.Table, Action: string(t.Action), Rows: t.Rows, Reason: t.Reason})
			if len(t.Sample) > 0 {
				run.Samples = append(run.Samples, Sample{Connector: c.Key, Table: t.Table, Columns: t.Columns, Rows: t.Sample})
			}
		}
	}
	return s.createRun(ctx, actor, orgID, &r, run)
}

// PlanRectify makes the dry run of a rectification.
func (s *Service) PlanRectify(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, cors []Correction) (Run, error) {
	if len(cors) == 0 {
		return Run{}, errorf("corrections", "give at least one correction", "Indiquez au moins une correction.")
	}
	r, ids, cs, err := s.actionable(ctx, actor, orgID, id, TypeRectification)
	if err != nil {
		return Run{}, err
	}
	byKey := map[string]Connector{}
	for _, c := range cs {
		byKey[c.Key] = c
	}
	var v privaq.ValidationErrors
	for i, c := range cors {
		if _, ok := byKey[c.Connector]; !ok {
			v = append(v, errorf("corrections["+strconv.Itoa(i)+"].connector", "there is no connector "+strconv.Quote(c.Connector),
				"Il n’y a pas de connecteur « "+c.Connector+" »."))
		}
		if !line(c.Value) && c.Value != "" {
			v = append(v, errorf("corrections["+strconv.Itoa(i)+"].value", "the value is one line of at most 300 characters", "La valeur tient sur une ligne."))
		}
	}
	if err := v.Err(); err != nil {
		return Run{}, err
	}
	run := Run{RequestID: id, Kind: RunRectify, Corrections: cors}
	if run.Fingerprint, err = s.fingerprint(ctx, orgID, cs, ids); err != nil {
		return Run{}, err
	}
	for key, group := range groupCorrections(cors) {
		c := byKey[key]
		_, conn, err := s.open(ctx, orgID, key)
		if err != nil {
			return Run{}, err
		}
		res, err := connector.Rectify(ctx, conn, c.Tables, ids, group, true)
		conn.Close()
		if err != nil {
			return Run{}, err
		}
		for _, t := range res.Tables {
			run.Plan = append(run.Plan, PlanTable{Connector: key, Table: t.Table, Action: string(t.Action), Rows: t.Rows})
		}
	}
	return s.createRun(ctx, actor, orgID, &r, run)
}

// groupCorrections splits corrections by connector.
func groupCorrections(cors []Correction) map[string][]connector.Correction {
	out := map[string][]connector.Correction{}
	for _, c := range cors {
		out[c.Connector] = append(out[c.Connector], connector.Correction{Table: c.Table, Column: c.Column, Value: c.Value})
	}
	return out
}

func (s *Service) createRun(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, r *Request, run Run) (Run, error) {
	now := s.now()
	run.Status, run.PlannedAt, run.PlannerKind, run.PlannerUser = RunPlanned, now, actor.Kind, actor.UserID
	ev := Event{At: now, actor: actor, Action: string(run.Kind) + "_planned", Detail: map[string]any{"tables": len(run.Plan), "rows": totalRows(run.Plan)}}
	if err := s.Store.CreateRun(ctx, orgID, &run, ev, audit.New(actor, "request."+string(run.Kind)+".plan", target(r.ID),
		map[string]any{"rows": totalRows(run.Plan)})); err != nil {
		return Run{}, err
	}
	return s.Store.Run(ctx, orgID, r.ID, run.ID)
}

func totalRows(p []PlanTable) int64 {
	var n int64
	for _, t := range p {
		if t.Action != string(connector.ErasureKeep) {
			n += t.Rows
		}
	}
	return n
}

// Runs lists a request's runs; samples are personal information, so the
// read is audited.
func (s *Service) Runs(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID) ([]Run, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	runs, err := s.Store.Runs(ctx, orgID, id)
	if err != nil || len(runs) == 0 {
		return runs, err
	}
	return runs, s.Store.AppendAudit(ctx, audit.New(actor, "request.runs.read", target(id), map[string]any{"runs": len(runs)}))
}

// Approve carries out a planned run. The approver must be a staff member
// other than the one who planned it: no one erases alone.
// A run of another kind than the one named is not found: approving an
// erasure at a rectification's address is a mistake to stop.
func (s *Service) Approve(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID, id ID, runID int64, kind RunKind) (Run, error) {
	r, ids, cs, err := s.actionable(ctx, actor, orgID, id)
	if err != nil {
		return Run{}, err
	}
	// The fingerprint is computed before the claim, so a changed mapping
	// leaves the run planned, to be planned again.
	current, err := s.fingerprint(ctx, orgID, cs, ids)
	if err != nil {
		return Run{}, err
	}
	run, err := s.Store.ClaimRun(ctx, orgID, id, runID, s.now(), func(run *Run) error {
		if run.Kind != kind {
			return privaq.Errorf(privaq.ENotFound, "there is no %s run %d on this request", kind, runID)
		}
		if run.Status != RunPlanned {
			return &privaq.Error{Code: privaq.EConflict, Message: "this run was already carried out", FR: "Cette opération a déjà été exécutée."}
		}
		if actor.Kind != privaq.ActorUser {
			return &privaq.Error{Code: privaq.EForbidden, Message: "a staff member signed in must approve: a token cannot",
				FR: "Un membre du personnel connecté doit approuver : un jeton ne le peut pas."}
		}
		// A run planned with a token counts as its creator's.
		if run.PlannerUser != 0 && run.PlannerUser == actor.UserID {
			return &privaq.Error{Code: privaq.EForbidden, Rule: "second_person", Message: "another staff member must approve the run you planned",
				FR: "Un autre membre du personnel doit approuver l’opération que vous avez préparée."}
		}
		if run.Fingerprint != current {
			return &privaq.Error{Code: privaq.EConflict, Rule: "stale_plan",
				Message: "a connector, its mapping or the request's identifiers changed since this dry run: make a new dry run",
				FR:      "Un connecteur, son association ou les identifiants de la demande ont changé depuis cette simulation : refaites-la."}
		}
		return nil
	})
	if err != nil {
		return Run{}, err
	}
	// From here the databases change: the run is finished and logged even
	// if the approver's connection drops.
	ctx = context.WithoutCancel(ctx)
	byKey := map[string]Connector{}
	for _, c := range cs {
		byKey[c.Key] = c
	}
	// The hash rule's key lives for this run only: rows stay linkable to
	// each other, and no one, privaq included, can hash a person's email
	// again to find them.
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	keys := connectorsOf(run)
	var failures []string
	run.Result = nil
	for _, key := range keys {
		c, ok := byKey[key]
		if !ok {
			failures = append(failures, key+": the connector was deleted")
			continue
		}
		res, err := s.execute(ctx, orgID, c, run, ids, hashKey)
		if err != nil {
			msg := key + ": " + userMessage(err)
			failures = append(failures, msg)
			run.Result = append(run.Result, PlanTable{Connector: key, Action: "rolled_back", Error: userMessage(err)})
			continue
		}
		for _, t := range res.Tables {
			run.Result = append(run.Result, PlanTable{Connector: key, Table: t.Table, Action: string(t.Action), Rows: t.Rows, Reason: t.Reason})
		}
	}
	now := s.now()
	run.FinishedAt, run.Status = &now, RunDone
	if len(failures) > 0 {
		run.Status, run.Error = RunFailed, strings.Join(failures, "; ")
	}
	var log []Destruction
	for _, t := range run.Result {
		// Only an erasure destroys; a rectification is in the history.
		if run.Kind == RunErase && t.Error == "" && t.Action != string(connector.ErasureKeep) && t.Action != connector.ActionSkip && t.Rows > 0 {
			log = append(log, Destruction{At: now, RequestID: id, Reference: r.Reference, RunID: run.ID, Connector: t.Connector, Table: t.Table,
				Action: t.Action, Rows: t.Rows, PlannedBy: run.PlannedBy, ApprovedBy: ""})
		}
	}
	ev := Event{At: now, actor: actor, Action: string(run.Kind) + "_" + string(run.Status), Detail: map[string]any{"rows": totalRows(run.Result)}}
	if err := s.Store.FinishRun(ctx, orgID, &run, log, ev, audit.New(actor, "request."+string(run.Kind)+".approve", runTarget(id, run.ID),
		map[string]any{"rows": totalRows(run.Result), "status": string(run.Status)})); err != nil {
		return Run{}, err
	}
	if run.Status == RunFailed {
		return run, &privaq.Error{Code: privaq.EConflict, Rule: "run_failed",
			Message: "the run failed; each database that failed is unchanged, the others are done (see the result): " + run.Error,
			FR:      "L’opération a échoué ; chaque base en échec est inchangée, les autres sont faites (voyez le résultat) : " + run.Error}
	}
	return s.Store.Run(ctx, orgID, id, run.ID)
}

// fingerprint digests what a run acts on: each connector's key, engine,
// DSN and mapping, and the identifiers that find the person.
func (s *Service) fingerprint(ctx context.Context, orgID privaq.OrgID, cs []Connector, ids connector.Identifiers) (string, error) {
	h := sha256.New()
	for _, c := range cs {
		_, dsn, err := s.Store.ConnectorDSN(ctx, orgID, c.Key)
		if err != nil {
			return "", err
		}
		tables, err := json.Marshal(c.Tables)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%q %q %q %s\n", c.Key, c.Kind, dsn, tables)
	}
	idj, err := json.Marshal(ids)
	if err != nil {
		return "", err
	}
	h.Write(idj)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// connectorsOf lists the connectors a run touches, in plan order.
func connectorsOf(run Run) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range run.Plan {
		if !seen[t.Connector] {
			seen[t.Connector] = true
			out = append(out, t.Connector)
		}
	}
	return out
}

func (s *Service) execute(ctx context.Context, orgID privaq.OrgID, c Connector, run Run, ids connector.Identifiers, hashKey []byte) (connector.Result, error) {
	_, conn, err := s.open(ctx, orgID, c.Key)
	if err != nil {
		return connector.Result{}, err
	}
	defer conn.Close()
	if run.Kind == RunErase {
		return connector.Erase(ctx, conn, c.Tables, ids, hashKey)
	}
	return connector.Rectify(ctx, conn, c.Tables, ids, groupCorrections(run.Corrections)[c.Key], false)
}

// Destructions returns the destruction log.
func (s *Service) Destructions(ctx context.Context, actor privaq.Actor, orgID privaq.OrgID) ([]Destruction, error) {
	if err := actor.Require(orgID, privaq.PermRequestRead); err != nil {
		return nil, err
	}
	return s.Store.Destructions(ctx, orgID)
}
