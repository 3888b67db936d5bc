package ocsf

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func TestDetectSamples(t *testing.T) {
	files := map[string][]byte{}
	for _, name := range samples {
		files[name] = readSample(t, name)
	}
	fixture, err := os.ReadFile("testdata/incident-finding.json")
	if err != nil {
		t.Fatal(err)
	}
	files["incident-finding.json"] = fixture

	for name, data := range files {
		// Whole, and cut mid-value as a sniffer would read it.
		for _, n := range []int{len(data), 1024, 512} {
			if head := data[:min(n, len(data))]; !Detect(head) {
				t.Errorf("Detect(%s[:%d]) = false, want true", name, len(head))
			}
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			t.Fatal(err)
		}
		shapes := map[string][]byte{
			"BOM": append([]byte("\xef\xbb\xbf\n"), data...),
		}
		if data[0] == '{' { // the fixture is already an array
			shapes["NDJSON"] = append(buf.Bytes(), "\n{\"class_uid\":3002}\n"...)
			shapes["NDJSON cut"] = buf.Bytes()[:min(512, buf.Len())]
			shapes["array"] = append(append([]byte("[ "), buf.Bytes()...), ']')
			shapes["array cut"] = append([]byte("[\n  "), data[:min(512, len(data))]...)
		}
		for shape, head := range shapes {
			if !Detect(head) {
				t.Errorf("Detect(%s as %s) = false, want true", name, shape)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"class 2004", `{"class_uid":2004}`, true},
		{"class 2005 late", `{"activity_id":1,"metadata":{"product":{"name":"x"}},"class_uid":2005}`, true},
		{"class 2001 array", `[{"class_uid":2001,"finding":{"uid":"1"}}]`, true},
		{"type_uid only", `{"type_uid":200201,"severity_id":3}`, true},
		{"finding_info cut", `{"finding_info":{"uid":"a","title":"b","desc":"a long text that never en`, true},
		{"2001 finding", "{\n  \"analytic\": {\"name\": \"CRE\"},\n  \"finding\": {\"uid\": \"591\", \"title\": \"x\"", true},
		{"metadata shape cut", `{"message":"m","metadata":{"product":{"name":"Prowler"},"version":"1.3.0"},"sever`, true},
		{"authentication", `{"class_uid":3002,"finding_info":{"uid":"a","title":"b"}}`, false},
		{"network activity", `{"metadata":{"product":{},"version":"1.1.0"},"class_uid":4001}`, false},
		{"category 3", `{"category_uid":3,"finding_info":{"uid":"a","title":"b"}}`, false},
		{"class_uid string", `{"class_uid":"2004"}`, false},
		{"finding_info one key", `{"finding_info":{"uid":"a"},"other":1}`, false},
		{"metadata without product", `{"metadata":{"version":"1.0"},"severity_id":1}`, false},
		{"nested class_uid", `{"unmapped":{"class_uid":2004}}`, false},
		{"STIX bundle", `{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator"}]}`, false},
		{"TheHive alert", `{"_id":"~1","_type":"Alert","title":"x","severity":2,"sourceRef":"r"}`, false},
		{"array of numbers", `[1,2,3]`, false},
		{"array of arrays", `[[{"class_uid":2004}]]`, false},
		{"string", `"class_uid"`, false},
		{"empty", ``, false},
		{"whitespace", "  \n ", false},
		{"garbage", `{{{`, false},
		{"csv", "number,incident_state,opened_at\n", false},
		{"empty object", `{}`, false},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Detect(%q) = %v, want %v", tt.name, tt.head, got, tt.want)
		}
	}
}
