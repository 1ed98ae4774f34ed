package connector

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"privaq"
)

// Erasure is what an erasure does to a table's rows about the person.
type Erasure string

// The erasure rules of SPEC §9.
const (
	ErasureDelete    Erasure = "delete"
	ErasureAnonymize Erasure = "anonymize"
	// ErasureKeep keeps the rows for a legal reason (a legal hold, the
	// accounting records a tax law requires), which the plan shows.
	ErasureKeep Erasure = "keep"
)

// Rule is what anonymization writes in a column.
type Rule string

// The anonymization rules.
const (
	RuleNull  Rule = "null"  // empty the column
	RuleFixed Rule = "fixed" // write a fixed value, such as "anonymized"
	// RuleHash writes a keyed hash of the value: rows stay linkable to
	// each other (two orders of one customer) but not to the person.
	RuleHash Rule = "hash"
	RuleYear Rule = "year" // keep only the year of a date
)

// ColumnRule anonymizes one column.
type ColumnRule struct {
	Column string `json:"column"`
	Rule   Rule   `json:"rule"`
	Value  string `json:"value,omitempty"` // for RuleFixed
}

// Table maps one table: how the person's rows are found, and what erasure
// does to them. A table either holds an identifier of the person itself
// (SubjectColumn compared with the request's Identifier), or reaches them
// through a parent table: its ForeignKey equals the parent's ParentKey on
// the parent's rows about the person (order_items.order_id → orders.id →
// orders.customer_id → customers.id → customers.email).
type Table struct {
	Name          string       `json:"name"`
	SubjectColumn string       `json:"subject_column,omitempty"`
	Identifier    string       `json:"identifier,omitempty"`
	Parent        string       `json:"parent,omitempty"`
	ForeignKey    string       `json:"foreign_key,omitempty"`
	ParentKey     string       `json:"parent_key,omitempty"`
	Erasure       Erasure      `json:"erasure"`
	Columns       []ColumnRule `json:"columns,omitempty"`
	Reason        string       `json:"reason,omitempty"`
}

// Identifiers are the values that identify the person, by name: "email",
// "customer_id"… A table is matched on the one its mapping names.
type Identifiers map[string]string

var (
	nameRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}$`)
	identifierRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// MaxTables bounds a mapping.
const MaxTables = 100

func validName(s string, qualified bool) bool {
	if schema, t, ok := strings.Cut(s, "."); ok && qualified {
		return nameRE.MatchString(schema) && nameRE.MatchString(t)
	}
	return nameRE.MatchString(s)
}

// validate checks a mapping's shape, without the database.
func validate(d *dialect, tables []Table) error {
	var v privaq.ValidationErrors
	add := func(i int, field, en, fr string) {
		v = append(v, fieldError(fmt.Sprintf("tables[%d].%s", i, field), en, fr))
	}
	if len(tables) > MaxTables {
		v = append(v, fieldError("tables", fmt.Sprintf("map at most %d tables", MaxTables), fmt.Sprintf("Associez au plus %d tables.", MaxTables)))
		return v
	}
	byName := map[string]int{}
	for i, t := range tables {
		if !validName(t.Name, d.schema) {
			add(i, "name", "the table name is a plain SQL name (letters, digits, _), qualified by its schema if needed",
				"Le nom de table est un nom SQL simple (lettres, chiffres, _), précédé de son schéma au besoin.")
		} else if _, dup := byName[t.Name]; dup {
			add(i, "name", "this table is mapped twice", "Cette table est associée deux fois.")
		}
		byName[t.Name] = i
		direct, joined := t.SubjectColumn != "", t.Parent != ""
		switch {
		case direct == joined:
			add(i, "subject_column", "give either the column that identifies the person or a parent table to join",
				"Indiquez soit la colonne qui identifie la personne, soit une table parente à joindre.")
		case direct:
			if !nameRE.MatchString(t.SubjectColumn) {
				add(i, "subject_column", "the column name is a plain SQL name", "Le nom de colonne est un nom SQL simple.")
			}
			if !identifierRE.MatchString(t.Identifier) {
				add(i, "identifier", "name the identifier this column holds, such as email or customer_id",
					"Nommez l’identifiant que contient cette colonne, par exemple email ou customer_id.")
			}
			if t.ForeignKey != "" || t.ParentKey != "" {
				add(i, "foreign_key", "a table with its own identifying column has no join", "Une table qui a sa propre colonne d’identification n’a pas de jointure.")
			}
		default:
			if !nameRE.MatchString(t.ForeignKey) {
				add(i, "foreign_key", "give the column of this table that refers to the parent", "Indiquez la colonne de cette table qui désigne la table parente.")
			}
			if !nameRE.MatchString(t.ParentKey) {
				add(i, "parent_key", "give the column of the parent that it refers to", "Indiquez la colonne de la table parente qui est désignée.")
			}
		}
		switch t.Erasure {
		case ErasureDelete:
		case ErasureKeep:
			if strings.TrimSpace(t.Reason) == "" || utf8.RuneCountInString(t.Reason) > 500 {
				add(i, "reason", "keeping rows needs the legal reason (at most 500 characters)", "Conserver des lignes exige la raison juridique (500 caractères au plus).")
			}
		case ErasureAnonymize:
			if len(t.Columns) == 0 {
				add(i, "columns", "anonymizing needs a rule for at least one column", "L’anonymisation exige une règle pour au moins une colonne.")
			}
			seen := map[string]bool{}
			for j, c := range t.Columns {
				f := "columns[" + strconv.Itoa(j) + "]"
				if !nameRE.MatchString(c.Column) || seen[c.Column] {
					add(i, f+".column", "each rule names a distinct column", "Chaque règle nomme une colonne distincte.")
				}
				seen[c.Column] = true
				switch c.Rule {
				case RuleNull, RuleHash, RuleYear:
				case RuleFixed:
					if utf8.RuneCountInString(c.Value) > 200 {
						add(i, f+".value", "the fixed value has at most 200 characters", "La valeur fixe compte au plus 200 caractères.")
					}
				default:
					add(i, f+".rule", "the rule is null, fixed, hash or year", "La règle est null, fixed, hash ou year.")
				}
			}
		default:
			add(i, "erasure", "the erasure rule is delete, anonymize or keep", "La règle d’effacement est delete, anonymize ou keep.")
		}
	}
	for i, t := range tables {
		if t.Parent == "" {
			continue
		}
		if _, ok := byName[t.Parent]; !ok {
			add(i, "parent", "the parent table must be mapped too", "La table parente doit aussi être associée.")
			continue
		}
		// Walk up: a chain longer than the mapping is a cycle.
		p, n := t.Parent, 0
		for p != "" && n <= len(tables) {
			j, ok := byName[p]
			if !ok {
				break
			}
			p, n = tables[j].Parent, n+1
		}
		if n > len(tables) {
			add(i, "parent", "the parent tables form a cycle", "Les tables parentes forment un cycle.")
		}
	}
	return v.Err()
}

// Report is what a check of a mapping against the live schema found.
type Report struct {
	Version string        `json:"version"`
	Tables  []TableReport `json:"tables"`
}

// TableReport tells the officer how one table will be searched.
type TableReport struct {
	Table string `json:"table"`
	// Lookup is the column compared with the identifier or the parent.
	Lookup string `json:"lookup"`
	// Indexed is false when no index starts with Lookup: every request
	// then reads the whole table.
	Indexed    bool     `json:"indexed"`
	PrimaryKey []string `json:"primary_key,omitempty"`
}

// Check validates a mapping against the live schema: every table and
// column must exist, hash and year rules need a text or date column and
// a row key; it reports which lookups lack an index.
func Check(ctx context.Context, c *Conn, tables []Table) (Report, error) {
	if err := validate(c.d, tables); err != nil {
		return Report{}, err
	}
	rep := Report{Tables: []TableReport{}}
	var err error
	if rep.Version, err = c.Version(ctx); err != nil {
		return rep, err
	}
	cols := map[string]map[string]string{}
	var v privaq.ValidationErrors
	for i, t := range tables {
		list, err := c.d.columns(ctx, c.db, t.Name)
		if err != nil {
			return rep, c.d.refusal(err, t.Name)
		}
		if len(list) == 0 {
			v = append(v, fieldError(fmt.Sprintf("tables[%d].name", i), "there is no table "+strconv.Quote(t.Name)+" in this database",
				"Il n’y a pas de table « "+t.Name+" » dans cette base."))
			continue
		}
		m := map[string]string{}
		for _, col := range list {
			m[col.name] = col.typ
		}
		cols[t.Name] = m
	}
	if err := v.Err(); err != nil {
		return rep, err
	}
	missing := func(i int, field, table, col string) {
		if _, ok := cols[table][col]; !ok {
			v = append(v, fieldError(fmt.Sprintf("tables[%d].%s", i, field), "there is no column "+strconv.Quote(col)+" in table "+strconv.Quote(table),
				"Il n’y a pas de colonne « "+col+" » dans la table « "+table+" »."))
		}
	}
	for i, t := range tables {
		lookup := t.SubjectColumn
		if t.Parent != "" {
			lookup = t.ForeignKey
			missing(i, "foreign_key", t.Name, t.ForeignKey)
			missing(i, "parent_key", t.Parent, t.ParentKey)
		} else {
			missing(i, "subject_column", t.Name, t.SubjectColumn)
		}
		perRow := false
		for j, r := range t.Columns {
			f := "columns[" + strconv.Itoa(j) + "].column"
			missing(i, f, t.Name, r.Column)
			typ, ok := cols[t.Name][r.Column]
			switch {
			case !ok:
			case r.Rule == RuleHash && !textType(typ):
				v = append(v, fieldError(fmt.Sprintf("tables[%d].%s", i, f), "the hash rule needs a text column; "+r.Column+" is "+typ,
					"La règle hash exige une colonne de texte ; "+r.Column+" est de type "+typ+"."))
			case r.Rule == RuleYear && !textType(typ) && !dateType(typ):
				v = append(v, fieldError(fmt.Sprintf("tables[%d].%s", i, f), "the year rule needs a date or text column; "+r.Column+" is "+typ,
					"La règle year exige une colonne de date ou de texte ; "+r.Column+" est de type "+typ+"."))
			}
			perRow = perRow || r.Rule == RuleHash || r.Rule == RuleYear
		}
		if err := c.safeToChange(ctx, i, t, tables, &v); err != nil {
			return rep, c.d.refusal(err, t.Name)
		}
		tr := TableReport{Table: t.Name, Lookup: lookup}
		if _, ok := cols[t.Name][lookup]; ok {
			if tr.Indexed, err = c.d.indexed(ctx, c.db, t.Name, lookup); err != nil {
				return rep, c.d.refusal(err, t.Name)
			}
		}
		if tr.PrimaryKey, err = c.d.primaryKey(ctx, c.db, t.Name); err != nil {
			return rep, c.d.refusal(err, t.Name)
		}
		if perRow && len(tr.PrimaryKey) == 0 {
			v = append(v, fieldError(fmt.Sprintf("tables[%d].columns", i), "hash and year rules rewrite row by row and need a primary key on "+t.Name,
				"Les règles hash et year réécrivent ligne par ligne et exigent une clé primaire sur "+t.Name+"."))
		}
		rep.Tables = append(rep.Tables, tr)
	}
	return rep, v.Err()
}

// safeToChange refuses a table whose changes a dry run cannot undo (a
// MySQL table on a non-transactional engine), and a deletion that would
// silently reach a table the mapping does not show (a cascading foreign
// key from an unmapped table): what an erasure destroys must be in its
// plan and in the destruction log.
func (c *Conn) safeToChange(ctx context.Context, i int, t Table, tables []Table, v *privaq.ValidationErrors) error {
	engines, err := c.d.strings(ctx, c.db, c.d.engineSQL, t.Name)
	if err != nil {
		return err
	}
	if len(engines) == 1 && t.Erasure != ErasureKeep && !strings.EqualFold(engines[0], "InnoDB") {
		*v = append(*v, fieldError(fmt.Sprintf("tables[%d].name", i),
			"table "+t.Name+" uses the "+engines[0]+" engine, which cannot roll back: a dry run would change it; convert it to InnoDB or keep its rows",
			"La table "+t.Name+" utilise le moteur "+engines[0]+", qui ne peut pas annuler : une simulation la modifierait ; convertissez-la en InnoDB ou conservez ses lignes."))
	}
	if t.Erasure != ErasureDelete {
		return nil
	}
	children, err := c.d.strings(ctx, c.db, c.d.cascadeSQL, t.Name)
	if err != nil {
		return err
	}
	for _, child := range children {
		mapped := false
		for _, m := range tables {
			_, name := splitName(m.Name)
			mapped = mapped || name == child
		}
		if !mapped {
			*v = append(*v, fieldError(fmt.Sprintf("tables[%d].erasure", i),
				"deleting from "+t.Name+" also deletes or changes rows of "+child+" (a cascading foreign key), which is not mapped: map "+child+" so the plan shows it",
				"Supprimer dans "+t.Name+" supprime ou modifie aussi des lignes de "+child+" (clé étrangère en cascade), qui n’est pas associée : associez "+child+" pour que le plan le montre."))
		}
	}
	return nil
}

func textType(t string) bool {
	for _, s := range []string{"char", "text", "clob", "string"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return t == "" // SQLite columns may have no declared type
}

func dateType(t string) bool {
	return strings.Contains(t, "date") || strings.Contains(t, "time")
}

// plan is a mapping ready to query: each table with the SQL condition that
// selects its rows about the person.
type plan struct {
	d      *dialect
	tables []Table
	byName map[string]int
	ids    Identifiers
}

func newPlan(c *Conn, tables []Table, ids Identifiers) (*plan, error) {
	if err := validate(c.d, tables); err != nil {
		return nil, err
	}
	p := &plan{d: c.d, tables: tables, byName: map[string]int{}, ids: ids}
	for i, t := range tables {
		p.byName[t.Name] = i
	}
	return p, nil
}

// root is the table whose identifier a table's rows hang from.
func (p *plan) root(t Table) Table {
	for t.Parent != "" {
		t = p.tables[p.byName[t.Parent]]
	}
	return t
}

func (p *plan) depth(t Table) int {
	n := 0
	for t.Parent != "" {
		t, n = p.tables[p.byName[t.Parent]], n+1
	}
	return n
}

// missingIdentifier says why a table cannot be searched, or "".
func (p *plan) missingIdentifier(t Table) string {
	r := p.root(t)
	if v := p.ids[r.Identifier]; v == "" {
		return "no " + r.Identifier + " in the request"
	}
	return ""
}

// where is the condition selecting a table's rows about the person.
func (p *plan) where(t Table, a *args) string {
	if t.Parent == "" {
		return p.d.ident(t.SubjectColumn) + " = " + a.add(p.ids[t.Identifier])
	}
	parent := p.tables[p.byName[t.Parent]]
	return p.d.ident(t.ForeignKey) + " IN (SELECT " + p.d.ident(t.ParentKey) + " FROM " + p.d.table(parent.Name) +
		" WHERE " + p.where(parent, a) + ")"
}

// deepestFirst orders tables so that children come before their parents:
// a child's rows are found through its parent's, which must still exist.
func (p *plan) deepestFirst() []Table {
	out := append([]Table(nil), p.tables...)
	depth := map[string]int{}
	for _, t := range out {
		depth[t.Name] = p.depth(t)
	}
	// Stable: the officer's order stays among tables of one depth.
	slices.SortStableFunc(out, func(a, b Table) int { return depth[b.Name] - depth[a.Name] })
	return out
}

func isText(b []byte) bool { return utf8.Valid(b) }
