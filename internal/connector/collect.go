package connector

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"privaq"
)

// TableRows is what one table holds about the person.
type TableRows struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Skipped says why the table was not searched (the request lacks the
	// identifier it is matched on).
	Skipped string `json:"skipped,omitempty"`
}

// MaxRows bounds what one table may return for one person: more means the
// mapping matches far more than a person (a join on the wrong column).
const MaxRows = 100_000

// Collect reads every mapped row about the person, in one read-only
// transaction so that the tables agree with each other.
func Collect(ctx context.Context, c *Conn, tables []Table, ids Identifiers) ([]TableRows, error) {
	p, err := newPlan(c, tables, ids)
	if err != nil {
		return nil, err
	}
	tx, err := c.db.BeginTx(ctx, c.d.readTx)
	if err != nil {
		return nil, c.d.refusal(err, "")
	}
	defer tx.Rollback()
	out := make([]TableRows, 0, len(tables))
	for _, t := range tables {
		if why := p.missingIdentifier(t); why != "" {
			out = append(out, TableRows{Table: t.Name, Columns: []string{}, Rows: [][]any{}, Skipped: why})
			continue
		}
		a := &args{d: c.d}
		q := "SELECT * FROM " + c.d.table(t.Name) + " WHERE " + p.where(t, a)
		tr, err := selectRows(ctx, tx, q, a.vals, MaxRows+1)
		if err != nil {
			return nil, c.d.refusal(err, t.Name)
		}
		if len(tr.Rows) > MaxRows {
			return nil, tooMany(t.Name)
		}
		tr.Table = t.Name
		out = append(out, tr)
	}
	return out, nil
}

func tooMany(table string) error {
	return &privaq.Error{Code: privaq.EConflict, Rule: "too_many_rows",
		Message: fmt.Sprintf("table %s has more than %d rows for this person: check its mapping", table, MaxRows),
		FR:      fmt.Sprintf("La table %s compte plus de %d lignes pour cette personne : vérifiez son association.", table, MaxRows)}
}

// selectRows reads at most limit rows of a query.
func selectRows(ctx context.Context, q querier, query string, vals []any, limit int) (TableRows, error) {
	rows, err := q.QueryContext(ctx, query, vals...)
	if err != nil {
		return TableRows{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableRows{}, err
	}
	tr := TableRows{Columns: cols, Rows: [][]any{}}
	for len(tr.Rows) < limit && rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return tr, err
		}
		for i := range vals {
			vals[i] = value(vals[i])
		}
		tr.Rows = append(tr.Rows, vals)
	}
	return tr, rows.Err()
}

// Source is what one connector returned.
type Source struct {
	Connector string
	Tables    []TableRows
}

// ArchiveMeta names an archive.
type ArchiveMeta struct {
	Reference    string
	Organization string
	GeneratedAt  time.Time
}

type manifestFile struct {
	Connector string `json:"connector"`
	Table     string `json:"table"`
	Rows      int    `json:"rows"`
	JSON      string `json:"json,omitempty"`
	CSV       string `json:"csv,omitempty"`
	SHA256    string `json:"json_sha256,omitempty"`
	Skipped   string `json:"skipped,omitempty"`
}

type manifest struct {
	Format       string         `json:"format"`
	Reference    string         `json:"reference"`
	Organization string         `json:"organization"`
	GeneratedAt  string         `json:"generated_at"`
	TotalRows    int            `json:"total_rows"`
	Files        []manifestFile `json:"tables"`
}

// WriteArchive writes the access archive (SPEC §9): per table one JSON
// file (exact values, for portability) and one CSV (for a spreadsheet), a
// manifest with the counts and checksums, and a README in the requester's
// language.
func WriteArchive(w io.Writer, lang string, meta ArchiveMeta, sources []Source) error {
	z := zip.NewWriter(w)
	m := manifest{Format: "privaq-access-1", Reference: meta.Reference, Organization: meta.Organization,
		GeneratedAt: meta.GeneratedAt.UTC().Format(time.RFC3339), Files: []manifestFile{}}
	add := func(name string, data []byte) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: meta.GeneratedAt})
		if err == nil {
			_, err = f.Write(data)
		}
		return err
	}
	for _, s := range sources {
		for _, t := range s.Tables {
			mf := manifestFile{Connector: s.Connector, Table: t.Table, Rows: len(t.Rows), Skipped: t.Skipped}
			if t.Skipped == "" {
				base := s.Connector + "/" + t.Table
				mf.JSON, mf.CSV = base+".json", base+".csv"
				js, err := tableJSON(t)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(js)
				mf.SHA256 = hex.EncodeToString(sum[:])
				if err := add(mf.JSON, js); err != nil {
					return err
				}
				if err := add(mf.CSV, tableCSV(t)); err != nil {
					return err
				}
			}
			m.TotalRows += mf.Rows
			m.Files = append(m.Files, mf)
		}
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := add("manifest.json", js); err != nil {
		return err
	}
	if err := add(readmeName(lang), readme(lang, m)); err != nil {
		return err
	}
	return z.Close()
}

// tableJSON writes the rows as objects whose keys keep the table's
// column order.
func tableJSON(t TableRows) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("[")
	for i, row := range t.Rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(t.Columns[j])
			val, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(val)
		}
		b.WriteString("}")
	}
	b.WriteString("\n]\n")
	return b.Bytes(), nil
}

func tableCSV(t TableRows) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(t.Columns)
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for j, v := range row {
			rec[j] = cell(v)
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// cell writes one CSV value. A text that a spreadsheet would run as a
// formula gets a leading apostrophe (the JSON file keeps it exact).
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	}
	return fmt.Sprint(v)
}

// when writes the archive's time for a person to read.
func when(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.Format("2006-01-02 15:04")
}

// readmeTexts are the README's words in each language.
type readmeTexts struct {
	head, body, total, table, skipped, tail string
	rows                                    func(int) string
}

var readmes = map[string]readmeTexts{
	"en": {
		head: "Your personal information held by %s\nRequest %s, archive made on %s UTC.\n\n",
		body: "This archive holds every row about you that we found in the databases named below, as they stood when it was made.\n" +
			"Each table is given twice: a .json file with the exact values, in a structured format you can take to another organization\n" +
			"(portability), and a .csv file that opens in a spreadsheet. In the CSV files, a text that begins with = + - @ starts with an\n" +
			"apostrophe, so that a spreadsheet shows it rather than running it; the JSON files keep it as it is. An empty cell is a value\n" +
			"that is absent. manifest.json lists the tables, their row counts and a SHA-256 checksum of each JSON file.\n\n",
		total: "%s in all:\n", table: "  %s / %s: %s\n", skipped: "  %s / %s: not searched (%s)\n",
		tail: "\nIf something is wrong or incomplete, you may ask us to correct it (rectification). If you disagree with our answer,\n" +
			"you may apply to the Commission d'accès à l'information du Québec within 30 days of it.\n",
		rows: func(n int) string {
			if n == 1 {
				return "1 row"
			}
			return fmt.Sprintf("%d rows", n)
		},
	},
	"fr": {
		head: "Vos renseignements personnels détenus par %s\nDemande %s, archive produite le %s UTC.\n\n",
		body: "Cette archive contient chaque ligne vous concernant que nous avons trouvée dans les bases de données nommées ci-dessous,\n" +
			"telles qu'elles étaient au moment de sa production. Chaque table y figure deux fois : un fichier .json avec les valeurs exactes,\n" +
			"dans un format structuré que vous pouvez remettre à une autre organisation (portabilité), et un fichier .csv qui s'ouvre dans\n" +
			"un tableur. Dans les fichiers CSV, un texte qui commence par = + - @ est précédé d'une apostrophe pour que le tableur l'affiche\n" +
			"au lieu de l'exécuter ; les fichiers JSON le gardent tel quel. Une cellule vide est une valeur absente. Le fichier manifest.json\n" +
			"liste les tables, leur nombre de lignes et une somme de contrôle SHA-256 de chaque fichier JSON.\n\n",
		total: "%s en tout :\n", table: "  %s / %s : %s\n", skipped: "  %s / %s : non consultée (%s)\n",
		tail: "\nSi un renseignement est inexact ou incomplet, vous pouvez nous demander de le corriger (rectification). Si vous êtes en\n" +
			"désaccord avec notre réponse, vous pouvez vous adresser à la Commission d'accès à l'information du Québec dans les 30 jours.\n",
		// French counts 0 and 1 in the singular.
		rows: func(n int) string {
			if n < 2 {
				return fmt.Sprintf("%d ligne", n)
			}
			return fmt.Sprintf("%d lignes", n)
		},
	},
}

func readmeName(lang string) string {
	if lang == "en" {
		return "README.txt"
	}
	return "LISEZMOI.txt"
}

func readme(lang string, m manifest) []byte {
	t, ok := readmes[lang]
	if !ok {
		t = readmes["fr"]
	}
	var b strings.Builder
	fmt.Fprintf(&b, t.head, m.Organization, m.Reference, when(m.GeneratedAt))
	b.WriteString(t.body)
	fmt.Fprintf(&b, t.total, t.rows(m.TotalRows))
	for _, f := range m.Files {
		if f.Skipped != "" {
			fmt.Fprintf(&b, t.skipped, f.Connector, f.Table, f.Skipped)
			continue
		}
		fmt.Fprintf(&b, t.table, f.Connector, f.Table, t.rows(f.Rows))
	}
	b.WriteString(t.tail)
	return []byte(b.String())
}
