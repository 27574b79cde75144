package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// detailsTable is the cluster's backend details as a table a person reads:
// one row per field (nested fields as "cni.name", a list of named things
// as "nodes[node-1].kernel"), one value column, or one per variant when
// the run measured several.
type detailsTable struct {
	Columns []string    // the value columns' heads: "value" or the variants
	Rows    []detailRow // in the backend's order
}

type detailRow struct {
	Field  string
	Values []string // one per column; "" where a variant lacks the field
}

// newDetailsTable reads details through JSON, as the record holds them in
// memory as the backend's own type and as plain JSON once read back; nil
// when there are none.
func newDetailsTable(details any) *detailsTable {
	b, err := json.Marshal(details)
	if err != nil {
		return nil
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if d.Decode(&v) != nil || v == nil {
		return nil
	}
	t := &detailsTable{}
	if list, ok := perVariant(v); ok {
		for i, vd := range list {
			t.Columns = append(t.Columns, vd.variant)
			for _, f := range vd.fields {
				t.set(f[0], i, len(list), f[1])
			}
		}
	} else {
		t.Columns = []string{"value"}
		for _, f := range flatten("", v) {
			t.set(f[0], 0, 1, f[1])
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// set puts value in column col of field's row, adding the row if new.
func (t *detailsTable) set(field string, col, cols int, value string) {
	i := slices.IndexFunc(t.Rows, func(r detailRow) bool { return r.Field == field })
	if i < 0 {
		t.Rows = append(t.Rows, detailRow{Field: field, Values: make([]string, cols)})
		i = len(t.Rows) - 1
	}
	t.Rows[i].Values[col] = value
}

// variantDetail is one variant's entry in the details of a run of
// several: {"variant": …, "name": …, "details": {…}}.
type variantDetail struct {
	variant string
	fields  [][2]string // its other keys, then its details', flattened
}

// perVariant reads the details of a run of several variants: a list of
// objects each naming its variant.
func perVariant(v any) ([]variantDetail, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	var out []variantDetail
	for _, e := range list {
		m, ok := e.(map[string]any)
		name, isString := m["variant"].(string)
		if !ok || !isString {
			return nil, false
		}
		rest := map[string]any{}
		for k, v := range m {
			if k != "variant" && k != "details" {
				rest[k] = v
			}
		}
		out = append(out, variantDetail{name, append(flatten("", rest), flatten("", m["details"])...)})
	}
	return out, true
}

// flatten turns a JSON value into field/value pairs in key order.
func flatten(prefix string, v any) [][2]string {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var out [][2]string
		for _, k := range keys {
			out = append(out, flatten(join(prefix, k), v[k])...)
		}
		return out
	case nil:
		if prefix == "" {
			return nil // no details at all
		}
	case []any:
		if scalars(v) {
			var vals []string
			for _, e := range v {
				vals = append(vals, scalar(e))
			}
			return [][2]string{{prefix, strings.Join(vals, ", ")}}
		}
		var out [][2]string
		for i, e := range v {
			out = append(out, flatten(fmt.Sprintf("%s[%s]", prefix, itemName(e, i)), e)...)
		}
		return out
	}
	return [][2]string{{prefix, scalar(v)}}
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// itemName names a list's element by its "name" field, else its position.
func itemName(e any, i int) string {
	if m, ok := e.(map[string]any); ok {
		if n, ok := m["name"].(string); ok && n != "" {
			return n
		}
	}
	return strconv.Itoa(i)
}

func scalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return none
	case string:
		return v
	}
	return fmt.Sprint(v)
}
