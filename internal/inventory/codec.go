package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"privaq"
)

// MaxDocumentSize bounds an import (SPEC §4: imports up to 10 MiB).
const MaxDocumentSize = 10 << 20

// The import and export formats.
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
)

// FormatFromName picks the format from a file name's extension.
func FormatFromName(filename string) (string, error) {
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".yaml", ".yml":
		return FormatYAML, nil
	case ".json":
		return FormatJSON, nil
	}
	return "", privaq.Errorf(privaq.EUnsupportedType, "cannot tell the format of %q: name the file .yaml, .yml or .json", filepath.Base(filename))
}

// Parse reads a whole inventory in format "yaml" or "json". It rejects what
// no inventory may contain: unknown fields, values of the wrong type, values
// outside their list, malformed durations and dates. The other rules
// (references, required fields, consent) are Validate's, so that a caller
// can load a draft and show every remaining problem at once.
func Parse(data []byte, format string) (*Document, error) {
	if len(data) > MaxDocumentSize {
		e := privaq.Errorf(privaq.ETooLarge, "the inventory is %d bytes: the limit is %d bytes (10 MiB)", len(data), MaxDocumentSize)
		e.FR = fr("Le fichier dépasse la limite de 10 Mio.")
		return nil, e
	}
	d := new(Document)
	switch format {
	case FormatJSON:
		if err := DecodeJSON(bytes.NewReader(data), d); err != nil {
			return nil, refineJSON(data, err)
		}
	case FormatYAML:
		if err := decodeYAML(data, d); err != nil {
			return nil, err
		}
	default:
		return nil, privaq.Errorf(privaq.EUnsupportedType, "unknown inventory format %q: use yaml or json", format)
	}
	d.Normalize()
	var errs privaq.ValidationErrors
	for _, is := range d.validate().issues {
		if is.format {
			errs = append(errs, &privaq.Error{Code: privaq.EValidation, Field: is.field, Message: is.en, FR: fr(is.fr)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// Encode writes the document in format "yaml" or "json". The output is
// canonical: parsing it and encoding again gives the same bytes, so exports
// can be kept under version control and diffed.
func (d *Document) Encode(w io.Writer, format string) error {
	c := *d
	c.Activities = slices.Clone(d.Activities) // Normalize must not touch d
	c.Normalize()
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&c)
	case FormatYAML:
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(yamlNode(reflect.ValueOf(&c))); err != nil {
			return err
		}
		return enc.Close()
	}
	return privaq.Errorf(privaq.EUnsupportedType, "unknown inventory format %q: use yaml or json", format)
}

func decodeYAML(data []byte, d *Document) (err error) {
	// yaml.v3 reports some errors by panicking inside its own recover; this
	// one only guards against a parser bug on untrusted input.
	defer func() {
		if r := recover(); r != nil {
			err = &privaq.Error{Code: privaq.EInvalidJSON, Message: "malformed YAML", Err: fmt.Errorf("yaml: panic: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root, extra yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return &privaq.Error{Code: privaq.EInvalidJSON, Message: "the YAML document is empty", FR: "Le document YAML est vide."}
		}
		return yamlError(err)
	}
	// A second document would be silently ignored by Decode: an import
	// must not drop half of what the user sent.
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return &privaq.Error{Code: privaq.EInvalidJSON, Message: "the file holds more than one YAML document: keep only one", FR: fr("Le fichier contient plus d’un document YAML : n’en gardez qu’un.")}
	}
	if e := findYAML(&root, docType, ""); e != nil {
		return e
	}
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(d); err != nil {
		return yamlError(err)
	}
	return nil
}

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return &privaq.Error{Code: privaq.EValidation, Message: "the document does not match the inventory format: " + te.Errors[0], FR: fr("Le document ne suit pas le format de l’inventaire : ") + te.Errors[0], Err: err}
	}
	detail := strings.TrimPrefix(err.Error(), "yaml: ")
	return &privaq.Error{Code: privaq.EInvalidJSON, Message: "malformed YAML: " + detail, FR: fr("YAML mal formé : ") + detail, Err: err}
}

// refineJSON replaces the bare field name encoding/json reports with the
// full path of the offending field ("purposes[3].nmae"): in an inventory
// every item has a name and a key, so the bare name does not say where.
func refineJSON(data []byte, err error) error {
	var pe *privaq.Error
	if !errors.As(err, &pe) || pe.Code != privaq.EValidation {
		return err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return err
	}
	var first *privaq.Error
	for _, p := range findJSON(v, docType, "") {
		if p.unknown != "" && p.unknown == pe.Field {
			return p.err
		}
		if first == nil && p.unknown == "" {
			first = p.err
		}
	}
	if first != nil && !strings.HasPrefix(pe.Message, "unknown field") {
		return first
	}
	return err
}
