package ocsf

import (
	"bytes"
	"encoding/json"
)

// findingKeys are attributes of the finding_info (and 2001 finding) object.
var findingKeys = map[string]bool{
	"uid": true, "title": true, "desc": true, "types": true, "analytic": true, "attacks": true,
	"created_time": true, "created_time_dt": true, "first_seen_time": true, "first_seen_time_dt": true,
	"last_seen_time": true, "last_seen_time_dt": true, "modified_time": true, "modified_time_dt": true,
	"src_url": true, "product_uid": true, "related_events": true,
}

// Detect reports whether head, the start of an input, looks like OCSF
// findings. It reads the first JSON value — the first element when head is
// a top-level array, the first line of NDJSON — and tolerates head ending
// mid-value. A top-level class_uid decides (2001–2005 yes, anything else
// no), as do type_uid (class_uid × 100 + activity) and a category_uid other
// than 2 (Findings) says no. When no class_uid or type_uid is within head,
// the record's shape decides: a finding_info or 2001-style finding object
// with at least two finding attributes, or a metadata object with product
// and version, which every OCSF event has. (Parse still rejects non-finding
// classes that Detect let through.)
func Detect(head []byte) bool {
	head = bytes.TrimPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()

	// frame is an open object or array; the record object is at depth
	// recDepth (1, or 2 inside a top-level array).
	type frame struct {
		object    bool
		expectKey bool
		key       string // in an object, the key whose value comes next
		under     string // the record attribute this frame is part of
		keys      int    // finding attributes seen, in a finding_info frame
		product   bool   // metadata frame: has product
		version   bool   // metadata frame: has version
	}
	var (
		stack     []*frame
		recDepth  = 1
		shape     bool // finding_info / finding object seen
		metaShape bool // metadata with product and version seen
	)
	for {
		tok, err := dec.Token()
		if err != nil {
			break // end of head, possibly mid-value
		}
		depth := len(stack)
		var top *frame
		if depth > 0 {
			top = stack[depth-1]
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:depth-1]
			if depth-1 < recDepth {
				return shape || metaShape // the first record ended
			}
			continue
		}
		if top != nil && top.object && top.expectKey {
			top.key, _ = tok.(string)
			top.expectKey = false
			if depth == recDepth+1 {
				switch top.under {
				case "finding_info", "finding":
					if findingKeys[top.key] {
						top.keys++
						shape = shape || top.keys >= 2
					}
				case "metadata":
					top.product = top.product || top.key == "product"
					top.version = top.version || top.key == "version"
					metaShape = metaShape || top.product && top.version
				}
			}
			continue
		}
		// tok is a value: of top's current key, or an array element.
		if top != nil && top.object {
			top.expectKey = true
		}
		switch {
		case depth == 0 && d == '[':
			recDepth = 2
		case depth == recDepth-1 && d != '{':
			return false // the record is not an object
		}
		if isDelim {
			f := &frame{object: d == '{', expectKey: d == '{'}
			switch {
			case depth == recDepth:
				f.under = top.key
			case depth > recDepth:
				f.under = top.under
			}
			stack = append(stack, f)
			continue
		}
		if depth != recDepth {
			continue
		}
		n, isNum := tok.(json.Number)
		var v int64
		if isNum {
			v, _ = n.Int64()
		}
		switch top.key {
		case "class_uid":
			return isNum && v >= classSecurityFinding && v <= classIncidentFinding
		case "type_uid":
			return isNum && v/100 >= classSecurityFinding && v/100 <= classIncidentFinding
		case "category_uid":
			if !isNum || v != 2 {
				return false
			}
		}
	}
	return shape || metaShape
}
