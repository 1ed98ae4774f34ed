package connector

import (
	"context"
	"database/sql"
	"strings"
)

// SampleSchema is a sample shop: a customer base as a small organization keeps it, with
// a person present in several tables directly and through joins, and an
// audit table under a legal hold.
const SampleSchema = `
CREATE TABLE customers (
	id BIGINT PRIMARY KEY,
	email VARCHAR(200) NOT NULL UNIQUE,
	name VARCHAR(200),
	phone VARCHAR(40),
	birth_date DATE,
	created_at TIMESTAMP NULL
);
CREATE TABLE orders (
	id BIGINT PRIMARY KEY,
	customer_id BIGINT NOT NULL REFERENCES customers (id),
	placed_at TIMESTAMP NULL,
	total DECIMAL(10,2),
	shipping_address VARCHAR(300)
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE order_items (
	id BIGINT PRIMARY KEY,
	order_id BIGINT NOT NULL,
	sku VARCHAR(40),
	qty INTEGER
);
CREATE TABLE support_tickets (
	id BIGINT PRIMARY KEY,
	requester_email VARCHAR(200),
	subject VARCHAR(200),
	body TEXT,
	opened_on DATE
);
CREATE TABLE newsletter (
	email VARCHAR(200) PRIMARY KEY,
	subscribed_at TIMESTAMP NULL
);
CREATE TABLE audit_log (
	id BIGINT PRIMARY KEY,
	customer_id BIGINT,
	action VARCHAR(40),
	legal_hold BOOLEAN
);
INSERT INTO customers VALUES
	(1, 'alice@example.org', 'Alice Tremblay', '+1 514 555 0101', '1984-06-15', '2023-02-01 10:00:00'),
	(2, 'bob@example.org', 'Bob Gagnon', '+1 418 555 0102', '1990-11-30', '2023-03-04 11:30:00'),
	(3, '=cmd@example.org', '=HYPERLINK("x")', NULL, NULL, NULL);
INSERT INTO orders VALUES
	(10, 1, '2024-01-05 09:00:00', 42.50, '12 rue des Pins, Montréal'),
	(11, 1, '2024-05-20 14:00:00', 19.99, '12 rue des Pins, Montréal'),
	(12, 2, '2024-02-11 16:45:00', 99.00, '8 av. Cartier, Québec');
INSERT INTO order_items VALUES
	(100, 10, 'TEA-01', 2), (101, 10, 'CUP-02', 1), (102, 11, 'TEA-03', 1), (103, 12, 'POT-01', 1);
INSERT INTO support_tickets VALUES
	(200, 'alice@example.org', 'Late delivery', 'My order 10 is late.', '2024-01-09'),
	(201, 'bob@example.org', 'Refund', 'Please refund.', '2024-02-15');
INSERT INTO newsletter VALUES ('alice@example.org', '2023-02-01 10:05:00'), ('bob@example.org', '2023-03-04 11:35:00');
INSERT INTO audit_log VALUES (300, 1, 'login', TRUE), (301, 1, 'order', TRUE), (302, 2, 'login', TRUE);
`

// SampleMapping is what an officer would map for the sample shop.
func SampleMapping() []Table {
	return []Table{
		{Name: "customers", SubjectColumn: "email", Identifier: "email", Erasure: ErasureAnonymize, Columns: []ColumnRule{
			{Column: "name", Rule: RuleNull}, {Column: "phone", Rule: RuleFixed, Value: "anonymized"},
			{Column: "email", Rule: RuleHash}, {Column: "birth_date", Rule: RuleYear}}},
		{Name: "orders", Parent: "customers", ForeignKey: "customer_id", ParentKey: "id", Erasure: ErasureAnonymize,
			Columns: []ColumnRule{{Column: "shipping_address", Rule: RuleFixed, Value: "anonymized"}}},
		{Name: "order_items", Parent: "orders", ForeignKey: "order_id", ParentKey: "id", Erasure: ErasureDelete},
		{Name: "support_tickets", SubjectColumn: "requester_email", Identifier: "email", Erasure: ErasureDelete},
		{Name: "newsletter", SubjectColumn: "email", Identifier: "email", Erasure: ErasureDelete},
		{Name: "audit_log", Parent: "customers", ForeignKey: "customer_id", ParentKey: "id", Erasure: ErasureKeep,
			Reason: "Legal hold: litigation 2024-17"},
	}
}

// CreateSample writes the sample shop into a new SQLite file.
func CreateSample(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, stmt := range strings.Split(SampleSchema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}
