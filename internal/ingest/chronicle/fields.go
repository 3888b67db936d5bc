package chronicle

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/watchfloor/watchfloor/internal/ingest/jsonfield"
)

// object is one JSON object of the input: its keys in input order and their
// raw values. Lookups take several key spellings because the legacy SOAR API
// and the Chronicle (1P) API name the same field differently.
type object struct {
	keys []string
	jsonfield.Fields
}

// soarTime is how both SOAR APIs write timestamps: epoch milliseconds as a
// number or as a string of digits (the legacy API and the 1P API's int64
// fields), or an RFC 3339 string (the 1P API's Timestamp fields). Zero and
// negative epoch values are the SOAR way of saying "not set".
var soarTime = jsonfield.Millis{NegativeUnset: true, DigitsOnly: true}

func newObject() object {
	return object{Fields: make(jsonfield.Fields)}
}

func (o *object) add(key string, v json.RawMessage) {
	o.keys = append(o.keys, key)
	o.Fields[key] = v
}

// decodeObject reads a nested object held as raw JSON. Key order is not kept:
// nested objects are only looked into, never re-emitted.
func decodeObject(field string, raw json.RawMessage) (object, error) {
	o := newObject()
	if err := json.Unmarshal(raw, &o.Fields); err != nil {
		return o, fmt.Errorf("%s: want an object, got %s", field, jsonfield.Kind(raw))
	}
	for k := range o.Fields {
		o.keys = append(o.keys, k)
	}
	return o, nil
}

// raw reassembles the object as compact JSON, keys in input order.
func (o object) raw() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := json.Compact(&b, o.Fields[k]); err != nil {
			b.Write(o.Fields[k])
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// stringList reads a JSON array whose items are strings, numbers, or objects
// naming the value under one of nameKeys (the 1P API's CaseTag objects).
func stringList(field string, v json.RawMessage, nameKeys ...string) ([]string, error) {
	return jsonfield.StringList(field, v, func(it json.RawMessage) (string, error) {
		if len(it) == 0 || it[0] != '{' {
			return jsonfield.Text(it)
		}
		o, err := decodeObject(field, it)
		if err != nil {
			return "", err
		}
		return o.Str(nameKeys...)
	})
}
