package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/watchfloor/watchfloor/internal/ingest/record"
	"github.com/watchfloor/watchfloor/internal/model"
)

// PostureSource is the source of the demo's posture findings.
const PostureSource = "demo-posture"

// postureTemplate is a kind of finding the demo estate has.
type postureTemplate struct {
	class       model.FindingClass
	severity    model.Severity
	category    string // CVE or control id
	title       string
	cvss        float64
	remediation string
	servers     bool   // on servers (else workstations)
	cloudType   string // a cloud resource type instead of a host
}

// postureTemplates are public CVEs and common benchmark controls; the
// resources they land on are the demo estate's.
var postureTemplates = []postureTemplate{
	{model.FindingVulnerability, model.SeverityCritical, "CVE-2024-3094", "xz-utils backdoor (liblzma)", 10, "Downgrade xz-utils to 5.4.x and rebuild the image.", true, ""},
	{model.FindingVulnerability, model.SeverityCritical, "CVE-2023-4966", "Citrix NetScaler session token leak (Citrix Bleed)", 9.4, "Upgrade NetScaler ADC/Gateway and kill all active sessions.", true, ""},
	{model.FindingVulnerability, model.SeverityCritical, "CVE-2021-44228", "Apache Log4j2 JNDI remote code execution", 10, "Upgrade log4j-core to 2.17.1 or later.", true, ""},
	{model.FindingVulnerability, model.SeverityHigh, "CVE-2024-6387", "OpenSSH signal handler race (regreSSHion)", 8.1, "Upgrade openssh-server to the distribution's fixed release.", true, ""},
	{model.FindingVulnerability, model.SeverityHigh, "CVE-2023-36884", "Office and Windows HTML remote code execution", 8.8, "Install the July 2023 Office and Windows updates.", false, ""},
	{model.FindingVulnerability, model.SeverityHigh, "CVE-2024-21413", "Outlook MonikerLink remote code execution", 9.8, "Install the February 2024 Outlook update.", false, ""},
	{model.FindingVulnerability, model.SeverityMedium, "CVE-2023-44487", "HTTP/2 rapid reset denial of service", 7.5, "Upgrade the web server or limit HTTP/2 stream resets.", true, ""},
	{model.FindingVulnerability, model.SeverityMedium, "CVE-2024-21762", "FortiOS SSL VPN out-of-bounds write", 6.5, "Upgrade FortiOS to a fixed release.", true, ""},
	{model.FindingVulnerability, model.SeverityLow, "CVE-2023-48795", "SSH Terrapin prefix truncation", 5.9, "Disable chacha20-poly1305 and EtM MACs until OpenSSH is upgraded.", true, ""},
	{model.FindingCompliance, model.SeverityHigh, "S3.8", "S3 general purpose buckets should block public access", 0, "Turn on S3 Block Public Access for the bucket.", false, "AwsS3Bucket"},
	{model.FindingCompliance, model.SeverityCritical, "IAM.6", "Hardware MFA should be enabled for the root user", 0, "Register a hardware MFA device for the root user.", false, "AwsAccount"},
	{model.FindingCompliance, model.SeverityHigh, "EC2.19", "Security groups should not allow unrestricted access to high-risk ports", 0, "Restrict the security group's ingress to known ranges.", false, "AwsEc2SecurityGroup"},
	{model.FindingCompliance, model.SeverityMedium, "CIS 5.1", "Cloud Storage bucket is anonymously accessible", 0, "Remove allUsers and allAuthenticatedUsers from the bucket policy.", false, "google.cloud.storage.Bucket"},
	{model.FindingCompliance, model.SeverityLow, "CloudTrail.5", "CloudTrail trails should be integrated with CloudWatch Logs", 0, "Send the trail to a CloudWatch Logs group.", false, "AwsCloudTrailTrail"},
}

// remediateDays is the mean remediation time by severity at the start of
// the period; it shortens by a third over the period as the programme
// improves.
var remediateDays = map[model.Severity]float64{model.SeverityCritical: 12, model.SeverityHigh: 26, model.SeverityMedium: 60, model.SeverityLow: 110}

// GeneratePosture streams the demo estate's posture history for cfg
// (defaults applied) to emit: vulnerability and compliance findings first
// seen over the period (two to seven a day, plus a backlog first seen in
// the period before), each remediated after an exponentially distributed
// time whose mean depends on its severity and shortens over the period, or
// still open at End. Remediated findings have status RESOLVED and last seen
// at their remediation; open ones NEW, last seen in the last day. Nothing
// is dated at or after End. The same seed and end give the same history.
func GeneratePosture(ctx context.Context, cfg Config, emit record.Emit) error {
	s, err := newSim(cfg)
	if err != nil {
		return err
	}
	cfg = s.cfg
	golden := uint64(0x9e3779b97f4a7c15)
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), golden*7)) // stream 7, beside the simulation's and the feed's
	inv := newInventory(rand.New(rand.NewPCG(uint64(cfg.Seed), golden*8)))
	end := cfg.End.UTC()
	period := time.Duration(cfg.Days) * 24 * time.Hour
	start := end.Add(-period)
	n := 0
	one := func(opened time.Time, progress float64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n++
		tp := postureTemplates[rng.IntN(len(postureTemplates))]
		id := fmt.Sprintf("F-%06d", n)
		f := &model.Finding{Source: PostureSource, ExternalID: id, Class: tp.class, Title: tp.title, Severity: tp.severity,
			Category: tp.category, CVSS: tp.cvss, Remediation: tp.remediation, FirstSeenAt: opened, CreatedAt: opened}
		switch {
		case tp.cloudType != "":
			f.ResourceType = tp.cloudType
			f.ResourceName = fmt.Sprintf("%s/prod-%03d", tp.cloudType, rng.IntN(40)+1)
		case tp.servers:
			f.ResourceType, f.ResourceName = "host", inv.hosts[inv.server(rng)]
		default:
			f.ResourceType, f.ResourceName = "host", inv.hosts[inv.workstation(rng)]
		}
		if tp.class == model.FindingVulnerability {
			f.CVEs = []string{tp.category}
			f.Description = tp.category + " affects a package installed on " + f.ResourceName + "."
		} else {
			f.Description = "Control " + tp.category + " failed on " + f.ResourceName + "."
		}
		mean := remediateDays[tp.severity] * (1 - progress/3)
		fixed := opened.Add(time.Duration(-math.Log(1-rng.Float64()) * mean * float64(24*time.Hour)).Truncate(time.Minute))
		if fixed.Before(end) {
			f.Status, f.LastSeenAt = "RESOLVED", fixed
		} else {
			f.Status, f.LastSeenAt = "NEW", end.Add(-time.Duration(1+rng.IntN(23))*time.Hour)
			if f.LastSeenAt.Before(opened) {
				f.LastSeenAt = opened
			}
		}
		return emit(record.Record{Loc: "demo-posture:" + id, Finding: f})
	}
	// The backlog: first seen in the period before this one.
	for i := 0; i < 40; i++ {
		if err := one(start.Add(-time.Duration(rng.Int64N(int64(period)))).Truncate(time.Minute), 0); err != nil {
			return err
		}
	}
	for d := 0; d < cfg.Days; d++ {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		for k := 2 + rng.IntN(6); k > 0; k-- {
			opened := day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Minute)
			if !opened.Before(end) {
				continue
			}
			if err := one(opened, float64(d)/float64(cfg.Days)); err != nil {
				return err
			}
		}
	}
	return nil
}
