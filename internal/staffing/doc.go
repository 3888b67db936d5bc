// Package staffing plans the watch floor: how many analysts each hour of
// the week needs to meet the SLAs, on which shifts, how today's roster
// compares, what a simulation of the proposed schedule achieves, and which
// skills each shift is short of.
//
// The workload model reads history from the store: arrivals per queue (a
// queue is a kind of work, alert triage or case work, at one priority) per
// local hour of the week, handle times from the case event log (time
// actively worked between first assignment or triage and first resolution,
// outside SLA pause statuses), how many cases an analyst works at once,
// the SLA policy's acknowledge targets, the roster and its shifts. Every
// input can be overridden in configuration, and an input neither measured
// nor configured falls back to a default that the plan lists as an
// assumption.
//
// Sizing uses Erlang C (Erlang A where a patience is configured) per queue
// and hour through package erlang, adds shrinkage, and hands the hourly
// heads to package schedule; package sim validates the result.
package staffing
