package demo

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/watchfloor/watchfloor/internal/model"
)

// inventory is the synthetic estate alerts talk about. All addresses are
// private or documentation ranges, all domains end in .example.
type inventory struct {
	hosts     []string // workstations first, then servers
	hostIPs   []string
	nWS       int // hosts[:nWS] are workstations
	dcs       []int32
	users     []string
	extIPs    []string
	domains   []string
	senders   []string
	resources []string
	hashes    []string
}

func newInventory(rng *rand.Rand) *inventory {
	inv := &inventory{}
	const workstations = 1600
	for i := 1; i <= workstations; i++ {
		inv.hosts = append(inv.hosts, pad("WS-", i, 4))
		inv.hostIPs = append(inv.hostIPs, "10.20."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250+2))
	}
	inv.nWS = workstations
	servers := []struct {
		prefix string
		n      int
	}{
		{"SRV-APP-", 60}, {"SRV-DB-", 20}, {"SRV-WEB-", 30}, {"SRV-FILE-", 8}, {"lnx-web-", 30},
		{"lnx-db-", 12}, {"lnx-k8s-node-", 24}, {"SRV-BKP-", 4}, {"SCAN-", 2}, {"DC-", 4},
	}
	n := 0
	for _, g := range servers {
		for i := 1; i <= g.n; i++ {
			n++
			if g.prefix == "DC-" {
				inv.dcs = append(inv.dcs, int32(len(inv.hosts)))
			}
			inv.hosts = append(inv.hosts, pad(g.prefix, i, 2))
			inv.hostIPs = append(inv.hostIPs, "10.10."+strconv.Itoa(n/250)+"."+strconv.Itoa(n%250+2))
		}
	}
	for _, f := range firstNames {
		for _, l := range lastNames {
			inv.users = append(inv.users, strings.ToLower(f+"."+l))
		}
	}
	inv.users = append(inv.users, "svc-backup", "svc-sql", "svc-scanner", "svc-deploy", "svc-monitoring",
		"adm-jensen", "adm-okafor", "adm-laurent")
	for _, net := range []string{"192.0.2.", "198.51.100.", "203.0.113."} {
		for i := 1; i < 255; i++ {
			inv.extIPs = append(inv.extIPs, net+strconv.Itoa(i))
		}
	}
	words := []string{"cdn", "update", "secure", "login", "files", "sync", "portal", "cloud", "mail", "docs", "auth", "share"}
	suffixes := []string{"check", "hub", "box", "now", "online", "service", "center", "verify"}
	for _, w := range words {
		for _, s := range suffixes {
			inv.domains = append(inv.domains, w+"-"+s+".example")
		}
	}
	for i, d := range inv.domains {
		if i%3 == 0 {
			inv.senders = append(inv.senders, []string{"billing", "noreply", "hr", "it-support"}[i%4]+"@"+d)
		}
	}
	for _, p := range []string{"finance", "payroll", "crm", "analytics", "web", "backup", "data-lake", "hr"} {
		for _, env := range []string{"prod", "staging", "dev"} {
			inv.resources = append(inv.resources, "s3://"+p+"-"+env, "gcp:projects/"+p+"-"+env)
		}
	}
	var b [32]byte
	for range 300 {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		inv.hashes = append(inv.hashes, hex.EncodeToString(b[:]))
	}
	return inv
}

// workstation returns a random workstation index.
func (inv *inventory) workstation(rng *rand.Rand) int32 { return int32(rng.IntN(inv.nWS)) }

// server returns a random server index.
func (inv *inventory) server(rng *rand.Rand) int32 {
	return int32(inv.nWS + rng.IntN(len(inv.hosts)-inv.nWS))
}

// host returns a workstation most of the time, otherwise a server.
func (inv *inventory) host(rng *rand.Rand) int32 {
	if rng.Float64() < 0.8 {
		return inv.workstation(rng)
	}
	return inv.server(rng)
}

// pad writes prefix followed by n zero-padded to width digits.
func pad(prefix string, n, width int) string {
	s := strconv.Itoa(n)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return prefix + s
}

// idString returns "demo:" + prefix + n zero-padded to width, built with a
// single allocation; callers slice the id off after "demo:".
func idString(prefix string, n int64, width int) string {
	var buf [48]byte
	b := append(buf[:0], "demo:"...)
	b = append(b, prefix...)
	var d [20]byte
	digits := strconv.AppendInt(d[:0], n, 10)
	for i := len(digits); i < width; i++ {
		b = append(b, '0')
	}
	b = append(b, digits...)
	return string(b)
}

// entityArena hands out small entity slices carved from larger blocks, so
// alerts do not each allocate their own.
type entityArena struct{ buf []model.Entity }

func (a *entityArena) take(n int) []model.Entity {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]model.Entity, 0, 2048)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}
