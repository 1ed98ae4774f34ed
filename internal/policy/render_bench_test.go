package policy

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"privaq/internal/inventory"
)

// bigInventory is a large organization: 200 activities, 300 data
// categories, 100 recipients and 100 cookies, with the other collections
// in proportion.
func bigInventory() *inventory.Document {
	d := inventory.Demo()
	txt := func(kind string, i int) inventory.Text {
		return inventory.Text{FR: fmt.Sprintf("%s numéro %d de l’organisme", kind, i), EN: fmt.Sprintf("%s number %d of the organization", kind, i)}
	}
	key := func(kind string, i int) string { return fmt.Sprintf("%s-%d", kind, i) }
	d.Purposes, d.DataCategories, d.SubjectCategories = nil, nil, nil
	d.Systems, d.Recipients, d.RetentionRules, d.Activities, d.Cookies, d.Measures = nil, nil, nil, nil, nil, nil
	consents := []inventory.Consent{inventory.ConsentExpress, inventory.ConsentNotRequired}
	for i := range 50 {
		d.Purposes = append(d.Purposes, inventory.Purpose{Key: key("p", i), Name: txt("Fin", i), Description: txt("Description", i),
			Consent: consents[i%2], Exception: txt("Exception", i)})
	}
	for i := range 300 {
		d.DataCategories = append(d.DataCategories, inventory.DataCategory{Key: key("d", i), Name: txt("Catégorie", i),
			Examples: txt("Exemples", i), Sensitive: i%7 == 0})
	}
	for i := range 20 {
		d.SubjectCategories = append(d.SubjectCategories, inventory.SubjectCategory{Key: key("s", i), Name: txt("Groupe", i), Minors: i%5 == 0})
	}
	places := []string{"CA-QC", "CA-ON", "CA", "US", "FR", "IE", "DE"}
	for i := range 30 {
		d.Systems = append(d.Systems, inventory.System{Key: key("sys", i), Name: fmt.Sprintf("Système %d", i), Provider: "Fournisseur",
			Location: places[i%len(places)], Safeguards: txt("Mesure", i)})
	}
	roles := []inventory.RecipientRole{inventory.RoleProcessor, inventory.RoleThirdParty, inventory.RolePublicBody, inventory.RolePartner}
	for i := range 100 {
		d.Recipients = append(d.Recipients, inventory.Recipient{Key: key("r", i), Name: fmt.Sprintf("Destinataire %d inc.", i),
			Role: roles[i%4], Location: places[i%len(places)], Contract: true, PIA: true, Purpose: txt("Raison", i)})
	}
	for i := range 20 {
		d.RetentionRules = append(d.RetentionRules, inventory.RetentionRule{Key: key("ret", i), Name: txt("Règle", i),
			Period: inventory.Duration(fmt.Sprintf("P%dY%dM", i%10+1, i%12)), Trigger: inventory.TriggerCollection, Action: inventory.ActionDestroy})
	}
	for i := range 200 {
		d.Activities = append(d.Activities, inventory.Activity{Key: key("a", i), Name: txt("Activité", i),
			Purposes: []string{key("p", i%50), key("p", (i+7)%50)}, DataCategories: []string{key("d", i%300), key("d", (i+1)%300), key("d", (i+150)%300)},
			Subjects: []string{key("s", i%20)}, Sources: []string{"subject", "generated"}, CollectionMeans: []string{"web_form", "cookies"},
			Systems: []string{key("sys", i%30)}, Recipients: []string{key("r", i%100)}, Retention: key("ret", i%20),
			AutomatedDecision: i%50 == 0, Profiling: i%40 == 0})
	}
	cats := []inventory.CookieCategory{inventory.CookieNecessary, inventory.CookiePreferences, inventory.CookieStatistics, inventory.CookieMarketing}
	for i := range 100 {
		d.Cookies = append(d.Cookies, inventory.Cookie{Key: key("c", i), Name: fmt.Sprintf("_cookie_%d", i), Service: "Service", Provider: "Fournisseur",
			Category: cats[i%4], Purpose: txt("Fonction", i), Duration: inventory.Duration(fmt.Sprintf("P%dM", i%24+1)), Party: "first"})
	}
	for i := range 20 {
		d.Measures = append(d.Measures, inventory.Measure{Key: key("m", i), Kind: inventory.MeasureSecurity, Text: txt("Mesure", i)})
	}
	return d
}

// BenchmarkRender renders a large organization's policy in French and in
// English, to HTML: the work of creating one policy version.
func BenchmarkRender(b *testing.B) {
	d := bigInventory()
	if errs := d.Validate(); len(errs) > 0 {
		b.Fatalf("the benchmark inventory is invalid: %v", errs[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, lang := range inventory.Languages {
			p, err := Render(d, lang, demoOptions())
			if err != nil {
				b.Fatal(err)
			}
			if err := p.HTML(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPDF writes the demo organization's French policy as PDF.
func BenchmarkPDF(b *testing.B) {
	p, err := Render(inventory.Demo(), "fr", Options{})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := p.PDF(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}
