package inventory

import _ "embed"

//go:embed demo.yaml
var demoYAML []byte

// Demo returns a fresh copy of the sample inventory that `privaq serve
// --demo` loads: a fictional Quebec non-profit whose inventory is complete
// and valid, with one deliberate gap for the compliance check to show.
// demo.yaml is kept in canonical form, so exporting the demo gives it back.
func Demo() *Document {
	d, err := Parse(demoYAML, FormatYAML)
	if err != nil {
		panic("inventory: demo.yaml does not parse: " + err.Error()) // caught by TestDemo
	}
	return d
}
