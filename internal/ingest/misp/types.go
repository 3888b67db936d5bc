package misp

import "github.com/watchfloor/watchfloor/internal/intel/observable"

// attributeTypes are MISP's attribute types (MISP's describeTypes) and the
// observable kind each is matched as; types that Watchfloor does not
// normalise keep their own name as their kind and match alert entities of
// that type. An attribute of a type not listed here is rejected.
var attributeTypes = map[string]observable.Kind{
	"md5": observable.MD5, "sha1": observable.SHA1, "sha256": observable.SHA256, "sha512": observable.SHA512,
	"filename|md5": observable.MD5, "filename|sha1": observable.SHA1, "filename|sha256": observable.SHA256,
	"filename|sha512": observable.SHA512,
	"ip-src":          observable.IP, "ip-dst": observable.IP, "ip-src|port": observable.IP, "ip-dst|port": observable.IP,
	"domain": observable.Domain, "hostname": observable.Domain, "hostname|port": observable.Domain,
	"domain|ip": observable.Domain,
	"url":       observable.URL, "link": observable.URL,
	"email": observable.Email, "email-src": observable.Email, "email-dst": observable.Email, "email-reply-to": observable.Email,
	"whois-registrant-email": observable.Email, "dns-soa-email": observable.Email, "target-email": observable.Email,
}

// otherTypes are the rest of MISP's attribute types.
var otherTypes = []string{
	"filename", "pdb", "email-subject", "email-attachment", "email-body", "eppn", "float", "git-commit-id", "http-method",
	"user-agent", "ja3-fingerprint-md5", "jarm-fingerprint", "favicon-mmh3", "hassh-md5", "hasshserver-md5", "regkey",
	"regkey|value", "AS", "snort", "bro", "zeek", "community-id", "pattern-in-file", "pattern-in-traffic", "pattern-in-memory",
	"filename-pattern", "pgp-public-key", "pgp-private-key", "ssh-fingerprint", "yara", "stix2-pattern", "sigma", "gene",
	"kusto-query", "mime-type", "identity-card-number", "cookie", "vulnerability", "cpe", "weakness", "attachment",
	"malware-sample", "comment", "text", "hex", "other", "named pipe", "mutex", "process-state", "target-user",
	"target-machine", "target-org", "target-location", "target-external", "btc", "dash", "xmr", "iban", "bic",
	"bank-account-nr", "aba-rtn", "bin", "cc-number", "prtn", "phone-number", "threat-actor", "campaign-name", "campaign-id",
	"malware-type", "uri", "authentihash", "vhash", "ssdeep", "imphash", "telfhash", "pehash", "impfuzzy", "sha224", "sha384",
	"sha512/224", "sha512/256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "tlsh", "cdhash", "filename|authentihash",
	"filename|vhash", "filename|ssdeep", "filename|imphash", "filename|impfuzzy", "filename|pehash", "filename|sha224",
	"filename|sha384", "filename|sha512/224", "filename|sha512/256", "filename|sha3-224", "filename|sha3-256",
	"filename|sha3-384", "filename|sha3-512", "filename|tlsh", "windows-scheduled-task", "windows-service-name",
	"windows-service-displayname", "whois-registrant-phone", "whois-registrant-name", "whois-registrant-org",
	"whois-registrar", "whois-creation-date", "x509-fingerprint-sha1", "x509-fingerprint-md5", "x509-fingerprint-sha256",
	"size-in-bytes", "counter", "datetime", "port", "mac-address", "mac-eui-64", "email-dst-display-name",
	"email-src-display-name", "email-header", "email-x-mailer", "email-mime-boundary", "email-thread-index",
	"email-message-id", "github-username", "github-repository", "github-organisation", "jabber-id", "twitter-id", "dkim",
	"dkim-signature", "first-name", "middle-name", "last-name", "full-name", "date-of-birth", "place-of-birth", "gender",
	"passport-number", "passport-country", "passport-expiration", "redress-number", "nationality", "visa-number",
	"issue-date-of-the-visa", "primary-residence", "country-of-residence", "special-service-request",
	"frequent-flyer-number", "travel-details", "payment-details", "place-port-of-original-embarkation",
	"place-port-of-clearance", "place-port-of-onward-foreign-destination", "passenger-name-record-locator-number",
	"mobile-application-id", "chrome-extension-id", "azure-application-id", "cortex", "boolean", "anonymised",
	"onion-address", "process-name",
}

func init() {
	for _, t := range otherTypes {
		if _, ok := attributeTypes[t]; !ok {
			k, _ := observable.KindOf(t)
			attributeTypes[t] = k
		}
	}
}

// confidenceTags map MISP taxonomy tags onto a 0–100 confidence:
// estimative-language's confidence in analytic judgment and the
// confidence-level taxonomy.
var confidenceTags = map[string]int{
	`estimative-language:confidence-in-analytic-judgment="high"`:     85,
	`estimative-language:confidence-in-analytic-judgment="moderate"`: 55,
	`estimative-language:confidence-in-analytic-judgment="low"`:      25,
	`confidence-level:confidence-level="completely-confident"`:       100,
	`confidence-level:confidence-level="usually-confident"`:          75,
	`confidence-level:confidence-level="fairly-confident"`:           50,
	`confidence-level:confidence-level="rarely-confident"`:           25,
	`confidence-level:confidence-level="unconfident"`:                0,
}
