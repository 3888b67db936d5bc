package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/watchfloor/watchfloor/internal/auth"
)

// navItem is one entry of the main navigation.
type navItem struct {
	Key   string // the view's Nav value that marks it current
	Label string
	Path  string
	Perm  auth.Permission
}

// navItems is the main navigation, in order. A page is added to the menu
// with one line here; it is shown to the roles that hold its permission.
var navItems = []navItem{
	{Key: "overview", Label: "Overview", Path: "/", Perm: auth.ViewDashboard},
	{Key: "performance", Label: "Performance", Path: "/performance", Perm: auth.ViewDashboard},
	{Key: "sla", Label: "SLA", Path: "/sla", Perm: auth.ViewDashboard},
	{Key: "cases", Label: "Cases", Path: "/cases", Perm: auth.ViewRecords},
	{Key: "incidents", Label: "Incidents", Path: "/incidents", Perm: auth.ViewRecords},
	{Key: "rules", Label: "Rule quality", Path: "/rules", Perm: auth.ViewDashboard},
	{Key: "intel", Label: "Threat intel", Path: "/intel", Perm: auth.ViewRecords},
	{Key: "technology", Label: "Technology", Path: "/technology", Perm: auth.ViewDashboard},
	{Key: "staffing", Label: "Staffing", Path: "/staffing", Perm: auth.PlanResources},
	{Key: "budget", Label: "Budget", Path: "/budget", Perm: auth.PlanResources},
	{Key: "runbooks", Label: "Runbooks", Path: "/runbooks", Perm: auth.ViewDashboard},
	{Key: "team", Label: "Team skills", Path: "/team", Perm: auth.PlanResources},
	{Key: "strategy", Label: "Strategy", Path: "/strategy", Perm: auth.PlanResources},
	{Key: "reports", Label: "Reports", Path: "/reports", Perm: auth.PlanResources},
	{Key: "audit", Label: "Audit log", Path: "/audit", Perm: auth.Administer},
	{Key: "settings", Label: "Settings", Path: "/settings", Perm: auth.ViewDashboard},
}

// kioskRotation is the order a wall screen cycles through: the live
// queue, the KPIs and the SLA clocks.
var kioskRotation = []string{"/", "/performance", "/sla"}

// DefaultKioskRotate is how long a wall screen shows each page of the
// rotation unless the server or the link says otherwise.
const DefaultKioskRotate = 60 * time.Second

// Nav returns the navigation entries the viewer may open.
func (v view) Nav() []navItem {
	var out []navItem
	for _, it := range navItems {
		if v.User != nil && v.User.Role.Can(it.Perm) {
			out = append(out, it)
		}
	}
	return out
}

// href builds path?query; every value is encoded once, by net/url.
func href(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// query returns a copy of the page's query (without theme, which the
// cookie carries).
func (v view) query() url.Values {
	q := url.Values{}
	for k, vals := range v.q {
		q[k] = append([]string(nil), vals...)
	}
	return q
}

// URL is this page with some query parameters changed: pairs of name and
// value, an empty value removing the parameter. The paging cursor is
// dropped unless set, since a new filter starts at the first page. The
// rest of the query (filters, timeframe, kiosk) is kept.
func (v view) URL(kv ...string) string {
	q := v.query()
	q.Del("after")
	q.Del("page")
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return href(v.Path, q)
}

// PageURL is this page with the query kept and the paging parameter set.
func (v view) PageURL(name, value string) string {
	q := v.query()
	q.Set(name, value)
	return href(v.Path, q)
}

// ThemeURL switches to the other theme, keeping the page and its query.
func (v view) ThemeURL() string {
	q := v.query()
	if v.Theme == "dark" {
		q.Set("theme", "light")
	} else {
		q.Set("theme", "dark")
	}
	return href(v.Path, q)
}

// KioskURL is this page on the wall screen, its query kept.
func (v view) KioskURL() string {
	q := v.query()
	q.Set("kiosk", "1")
	return href(v.Path, q)
}

// LeaveKioskURL is this page without the wall-screen parameters.
func (v view) LeaveKioskURL() string {
	q := v.query()
	q.Del("kiosk")
	q.Del("rotate")
	return href(v.Path, q)
}

// NextKiosk is the page the wall screen turns to after RotateSeconds, with
// the query kept (theme and rotation interval included), or "" when this
// page is not in the rotation or rotation is off.
func (v view) NextKiosk() string {
	if !v.Kiosk || v.Rotate <= 0 {
		return ""
	}
	for i, p := range kioskRotation {
		if p == v.Path {
			q := url.Values{"kiosk": {"1"}, "rotate": {strconv.Itoa(v.Rotate)}, "theme": {v.Theme}}
			return href(kioskRotation[(i+1)%len(kioskRotation)], q)
		}
	}
	return ""
}

// RefreshContent is the content of the wall screen's refresh meta tag.
func (v view) RefreshContent() string {
	return strconv.Itoa(v.Rotate) + ";url=" + v.NextKiosk()
}
