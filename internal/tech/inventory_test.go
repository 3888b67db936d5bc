package tech

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/watchfloor/watchfloor/internal/budget"
)

func TestParseInventoryExample(t *testing.T) {
	f, err := os.Open("../../docs/inventory-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := ParseInventory(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Platforms) != 3 || inv.Platforms[0].Renewal.String() != "2027-03-31" || inv.Platforms[0].Sources[0] != "demo" ||
		inv.Platforms[1].Cost.Quantity != 6500 {
		t.Errorf("%+v", inv)
	}
}

func TestInventoryErrorsNameThePlatformAndField(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"platforms: [{name: X, category: firewall}]", `platforms[0]: X: category "firewall"`},
		{"platforms: [{category: siem}]", "platforms[0]: name: required"},
		{"platforms: [{name: X, category: siem}, {name: x, category: edr}]", `platforms[1]: name "x" is used twice`},
		{"platforms: [{name: X, category: siem, cost: {pricing: per_byte, price: 1}}]", `cost.pricing "per_byte"`},
		{"platforms: [{name: X, category: siem, cost: {pricing: flat, price: -1}}]", "cost.price -1"},
		{"platforms: [{name: X, category: siem, renewal: 2026-13-01}]", `date "2026-13-01"`},
		{"platforms: [{name: X, category: siem, contract_start: 2026-05-01, renewal: 2026-04-01}]", "renewal 2026-04-01 is before contract_start 2026-05-01"},
		{"platforms: [{name: X, category: siem, sources: ['']}]", "sources[0]: empty"},
		{"platforms: [{name: X, category: siem, colour: red}]", "field colour not found"},
	} {
		_, err := ParseInventory(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestJudgeInventory(t *testing.T) {
	day := func(s string) Date { d, _ := ParseDate(s); return d }
	inv := Inventory{Platforms: []Platform{
		{Name: "SIEM", Category: "siem", Cost: &Cost{Pricing: "per_gb_day", Price: 1100, Period: "year", Quantity: 120},
			Renewal: day("2026-05-01"), NoticeDays: 60, Sources: []string{"siem-a", "gone"}},
		{Name: "EDR", Category: "edr", Cost: &Cost{Pricing: "per_endpoint", Price: 4.5}, Renewal: day("2026-06-09"), Sources: []string{"edr"}},
		{Name: "TIP", Category: "ti", Cost: &Cost{Pricing: "flat", Price: 5000}, Renewal: day("2026-03-01"), Sources: []string{"misp"}},
	}}
	health := &HealthReport{Sources: []KeyHealth{
		{Source: "edr", Health: Health{State: Silent}}, {Source: "siem-a", Health: Health{State: Healthy}}, {Source: "mail", Health: Health{State: Healthy}},
	}}
	// 2026-03-10 23:30 UTC is 2026-03-11 in Berlin.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	r := JudgeInventory(inv, health, []FeedHealth{{Name: "misp", State: FeedFailing}}, time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), berlin, 90)
	if r.Day.String() != "2026-03-11" {
		t.Fatalf("day %s", r.Day)
	}
	siem, edr, tip := r.Platforms[0], r.Platforms[1], r.Platforms[2]
	// SIEM: 51 days to 2026-05-01, notice by 2026-03-02; 1100 × 120 a year.
	if *siem.RenewalInDays != 51 || !siem.RenewalDue || siem.NoticeBy.String() != "2026-03-02" || *siem.AnnualCost != 132000 ||
		siem.State != Healthy || siem.SourceStates[1].State != NoAlerts {
		t.Errorf("SIEM %+v", siem)
	}
	// EDR: 90 days, due (the window is inclusive); priced per endpoint
	// without a quantity: depends on the budget's volumes; its source is silent.
	if *edr.RenewalInDays != 90 || !edr.RenewalDue || edr.AnnualCost != nil || edr.State != Silent {
		t.Errorf("EDR %+v", edr)
	}
	// TIP: renewed 10 days ago, not due; 5000 a month flat = 60000 a year.
	if *tip.RenewalInDays != -10 || tip.RenewalDue || *tip.AnnualCost != 60000 || tip.State != Healthy || tip.SourceStates[0].State != "feed failing" {
		t.Errorf("TIP %+v", tip)
	}
	if strings.Join(r.RenewalsDue, ",") != "SIEM,EDR" || r.AnnualCost != 192000 || r.Unpriced != 1 || strings.Join(r.Unlinked, ",") != "mail" {
		t.Errorf("report %+v", r)
	}
}

func FuzzParseInventory(f *testing.F) {
	if b, err := os.ReadFile("../../docs/inventory-example.yaml"); err == nil {
		f.Add(string(b))
	}
	f.Add("platforms: [{name: X, category: siem, renewal: 2026-01-01}]")
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := ParseInventory(strings.NewReader(s))
		if err == nil {
			if err := inv.Validate(); err != nil {
				t.Fatalf("parsed but invalid: %v", err)
			}
		}
	})
}

func TestBudgetTools(t *testing.T) {
	inv := Inventory{Platforms: []Platform{
		{Name: "SIEM", Category: "siem", Cost: &Cost{Pricing: "per_gb_day", Price: 1100, Period: "year"}},
		{Name: "Mail gateway", Category: "email", Cost: &Cost{Pricing: "flat", Price: 1000}},
		{Name: "Unpriced", Category: "other"},
	}}
	got := inv.BudgetTools([]budget.Tool{{Name: "siem", Pricing: "per_gb_day", Price: 900}})
	if len(got) != 1 || got[0] != (budget.Tool{Name: "Mail gateway", Pricing: "flat", Price: 1000}) {
		t.Errorf("%+v", got)
	}
}
