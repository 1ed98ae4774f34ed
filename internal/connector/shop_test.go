package connector

import (
	"strings"
	"testing"
)

func loadShop(t *testing.T, e engine) {
	t.Helper()
	schema := SampleSchema
	if e.kind == KindMySQL {
		// MySQL only checks a foreign key written as a table constraint.
		schema = strings.Replace(schema, "customer_id BIGINT NOT NULL REFERENCES customers (id),",
			"customer_id BIGINT NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers (id),", 1)
	}
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := e.admin.Exec(stmt); err != nil {
			t.Fatalf("shop fixture: %v\n%s", err, stmt)
		}
	}
}

var alice = Identifiers{"email": "alice@example.org"}
