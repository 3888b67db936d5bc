// Command longincident writes a ServiceNow incident audit export holding
// one incident with many updates, for measuring the memory an ingest of a
// single long incident takes (see docs/benchmarks.md):
//
//	go run ./internal/ingest/servicenow/testdata/longincident -rows 206000 > incident.csv
//
// Every row is one update of INC9000001, a minute after the one before,
// cycling through Active, Awaiting User Info and back, reassigned every 50
// updates, with the sample's other columns.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

const header = "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,opened_by,opened_at," +
	"sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,location,category,subcategory,u_symptom,cmdb_ci," +
	"impact,urgency,priority,assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by," +
	"closed_code,resolved_by,resolved_at,closed_at"

func main() {
	rows := flag.Int("rows", 206000, "updates of the incident")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	fmt.Fprintln(w, header)
	opened := time.Date(2016, 2, 29, 1, 16, 0, 0, time.UTC)
	const layout = "02-01-2006 15:04"
	for i := range *rows {
		state := []string{"Active", "Awaiting User Info", "Active", "Active"}[i%4]
		switch {
		case i == 0:
			state = "New"
		case i == *rows-2:
			state = "Resolved"
		case i == *rows-1:
			state = "Closed"
		}
		at := opened.Add(time.Duration(i+7) * time.Minute)
		resolved := "?"
		if i >= *rows-2 {
			resolved = opened.Add(time.Duration(*rows+5) * time.Minute).Format(layout)
		}
		fmt.Fprintf(w, "INC9000001,%s,TRUE,%d,0,%d,TRUE,Caller 2403,Opened by  8,%s,Created by 6,%s,Updated by %d,%s,Phone,"+
			"Location 143,Category 55,Subcategory 170,Symptom 72,?,2 - Medium,2 - Medium,3 - Moderate,Group %d,Resolver %d,TRUE,FALSE,"+
			"Do Not Notify,?,?,?,?,code 5,Resolved by 149,%s,?\n",
			state, i/50, i, opened.Format(layout), opened.Format(layout), i%97, at.Format(layout), 50+i/5000, i/50%40, resolved)
	}
}
