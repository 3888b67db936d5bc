package demo

import (
	"time"

	"github.com/watchfloor/watchfloor/internal/tech"
)

// Platforms is the demo SOC's tool inventory, its contracts dated from end
// (the end of the simulated period) so that two renewals fall due within
// 90 days. The SIEM is the platform the demo's alerts come from.
func Platforms(end time.Time) tech.Inventory {
	day := func(days int) tech.Date {
		d := end.UTC().AddDate(0, 0, days)
		return tech.Date{Time: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)}
	}
	return tech.Inventory{Platforms: []tech.Platform{
		{Name: "SIEM", Category: "siem", Vendor: "Example Analytics", Product: "Example SIEM", Version: "9.2", Owner: "SOC engineering",
			Licence: "GB/day", Cost: &tech.Cost{Pricing: "per_gb_day", Price: 1100, Period: "year", Quantity: 150},
			ContractStart: day(-320), Renewal: day(45), NoticeDays: 60, Sources: []string{Source}},
		{Name: "EDR", Category: "edr", Vendor: "Example Endpoint", Version: "7.14", Owner: "IT security operations",
			Licence: "endpoints", Cost: &tech.Cost{Pricing: "per_endpoint", Price: 4.5, Quantity: 6500},
			ContractStart: day(-165), Renewal: day(200), NoticeDays: 90},
		{Name: "SOAR", Category: "soar", Vendor: "Example Automation", Version: "6.1", Owner: "SOC engineering",
			Licence: "seats", Cost: &tech.Cost{Pricing: "per_seat", Price: 150},
			ContractStart: day(-30), Renewal: day(335), NoticeDays: 30},
		{Name: "Threat intelligence platform", Category: "ti", Vendor: "Example Intel", Owner: "CTI lead",
			Licence: "flat", Cost: &tech.Cost{Pricing: "flat", Price: 60000, Period: "year"},
			ContractStart: day(-290), Renewal: day(75), NoticeDays: 30},
	}}
}
