package ocsf

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/watchfloor/watchfloor/internal/model"
)

// complianceStatuses are the captions of compliance.status_id.
var complianceStatuses = map[int64]string{1: "Pass", 2: "Warning", 3: "Fail"}

// toFinding maps a Vulnerability (2002) or Compliance (2003) Finding onto a
// posture finding.
func toFinding(o object, class int64, raw []byte) (*model.Finding, error) {
	meta := o.obj("metadata")
	info := o.obj("finding_info")
	id := firstNonEmpty(info.str("uid"), meta.str("uid"))
	if id == "" {
		return nil, errors.New("no id: finding_info.uid and metadata.uid are missing")
	}
	vulns := o.objects("vulnerabilities")
	f := &model.Finding{
		Source:      sourceName(meta),
		ExternalID:  id,
		Title:       info.str("title"),
		Description: info.str("desc"),
		Severity:    severityOf(o),
		Raw:         json.RawMessage(raw),
	}
	res := o.obj("resource")
	if res == nil {
		if rs := o.objects("resources"); len(rs) > 0 {
			res = rs[0]
		}
	}
	f.ResourceName = firstNonEmpty(res.str("name"), res.str("uid"))
	f.ResourceType = res.str("type")

	remedies := []string{o.obj("remediation").str("desc")}
	if class == classComplianceFinding {
		f.Class = model.FindingCompliance
		c := o.obj("compliance")
		f.Status = firstNonEmpty(statusOf(c, "status", complianceStatuses), statusOf(o, "status", findingStatuses))
		f.Category = firstNonEmpty(c.str("control"), first(c.strs("requirements")))
	} else {
		f.Class = model.FindingVulnerability
		f.Status = statusOf(o, "status", findingStatuses)
		for _, v := range vulns {
			f.CVEs = appendNew(f.CVEs, v.obj("cve").str("uid"))
			for _, c := range append(v.obj("cve").objects("cvss"), v.objects("cvss")...) {
				if s, ok := c.float("base_score"); ok && s > f.CVSS {
					f.CVSS = s
				}
			}
			remedies = append(remedies, v.obj("remediation").str("desc"))
			for _, p := range v.objects("affected_packages") {
				remedies = append(remedies, p.obj("remediation").str("desc"))
			}
		}
		f.Category = first(f.CVEs)
		if f.Category == "" && len(vulns) > 0 {
			f.Category = firstNonEmpty(vulns[0].obj("cwe").str("uid"), vulns[0].str("title"))
		}
		if len(vulns) > 0 {
			f.Title = firstNonEmpty(f.Title, vulns[0].str("title"))
			f.Description = firstNonEmpty(f.Description, vulns[0].str("desc"))
		}
	}
	var distinct []string
	for _, r := range remedies {
		distinct = appendNew(distinct, r)
	}
	f.Remediation = strings.Join(distinct, "\n")
	f.Title = firstNonEmpty(f.Title, firstLine(o.str("message")))

	var tr timeReader
	f.FirstSeenAt = firstTime(tr.at(info, "finding_info", "first_seen_time"), tr.at(o, "", "start_time"))
	f.LastSeenAt = firstTime(tr.at(info, "finding_info", "last_seen_time"), tr.at(o, "", "end_time"))
	f.CreatedAt = firstTime(tr.at(info, "finding_info", "created_time"), tr.at(o, "", "time"))
	if tr.err != nil {
		return nil, tr.err
	}
	return f, nil
}

// appendNew appends s unless it is empty or already in list.
func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
