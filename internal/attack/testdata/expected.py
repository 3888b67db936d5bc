#!/usr/bin/env python3
"""Independent computation of the values catalog_test.go hard-codes.

Reads the shared ATT&CK bundle with nothing but the Python standard library
(no code shared with package attack) and prints the expected counts and
values. Run from the repository root:

    python3 internal/attack/testdata/expected.py ../shared/data/attack/enterprise-attack-18.1-slim.json.gz
"""
import collections
import gzip
import json
import sys

bundle = json.load(gzip.open(sys.argv[1]))
objs = bundle["objects"]
by_stix = {o["id"]: o for o in objs}


def ext(o):
    for r in o.get("external_references", []):
        if r.get("source_name") == "mitre-attack" and r.get("external_id"):
            return r["external_id"]
    return None


def active(o):
    return not o.get("revoked") and not o.get("x_mitre_deprecated")


def of(*types):
    return [o for o in objs if o["type"] in types and ext(o)]


by_ext = {ext(o): o for o in objs if ext(o)}
rels = [o for o in objs if o["type"] == "relationship"]


def rel(kind, src_type, dst_type):
    for r in rels:
        s, d = by_stix.get(r["source_ref"]), by_stix.get(r["target_ref"])
        if r["relationship_type"] == kind and s and d and s["type"] in src_type and d["type"] in dst_type:
            yield s, d


techniques = of("attack-pattern")
act = [t for t in techniques if active(t)]
print("techniques total", len(techniques), "revoked", sum(bool(t.get("revoked")) for t in techniques),
      "deprecated", sum(bool(t.get("x_mitre_deprecated")) for t in techniques))
print("active", len(act), "subtechniques", sum(t["x_mitre_is_subtechnique"] for t in act),
      "parents", sum(not t["x_mitre_is_subtechnique"] for t in act))

matrix = [o for o in objs if o["type"] == "x-mitre-matrix"][0]
print("tactics", [(ext(by_stix[r]), by_stix[r]["x_mitre_shortname"], by_stix[r]["name"]) for r in matrix["tactic_refs"]])
per_tactic = collections.Counter(p["phase_name"] for t in act for p in t["kill_chain_phases"])
print("techniques per tactic", [(by_stix[r]["x_mitre_shortname"], per_tactic[by_stix[r]["x_mitre_shortname"]]) for r in matrix["tactic_refs"]])

for t in ("intrusion-set", "malware", "tool", "campaign"):
    print(t, "total", len(of(t)), "active", sum(active(o) for o in of(t)))

revoked_by = {s["id"]: d for s, d in rel("revoked-by", ("attack-pattern", "intrusion-set", "malware", "tool", "campaign"), ("attack-pattern", "intrusion-set", "malware", "tool", "campaign"))}


def follow(o):
    seen = {o["id"]}
    while o.get("revoked") and o["id"] in revoked_by and revoked_by[o["id"]]["id"] not in seen:
        o = revoked_by[o["id"]]
        seen.add(o["id"])
    return o


for i in ("T1086", "T1150", "T1073", "T1053.001", "G0118", "S9000"):
    o = by_ext[i]
    print("resolve", i, o["name"], "revoked", bool(o.get("revoked")), "deprecated", bool(o.get("x_mitre_deprecated")), "->", ext(follow(o)), follow(o)["name"])

group_direct = collections.defaultdict(set)
for s, d in rel("uses", ("intrusion-set",), ("attack-pattern",)):
    if active(s) and active(d):
        group_direct[s["id"]].add(ext(d))
campaign_tech = collections.defaultdict(set)
for s, d in rel("uses", ("campaign",), ("attack-pattern",)):
    if active(s) and active(d):
        campaign_tech[s["id"]].add(ext(d))
group_campaigns = collections.defaultdict(set)
for s, d in rel("attributed-to", ("campaign",), ("intrusion-set",)):
    if active(s) and active(d):
        group_campaigns[d["id"]].add(s["id"])


def group_techniques(g):
    out = set(group_direct[g["id"]])
    for c in group_campaigns[g["id"]]:
        out |= campaign_tech[c]
    return out


apt29 = by_ext["G0016"]
gt = group_techniques(apt29)
print("APT29", apt29["name"], "aliases", apt29["aliases"])
print("APT29 direct", len(group_direct[apt29["id"]]), "with campaigns", len(gt),
      "campaigns", sorted(ext(by_stix[c]) for c in group_campaigns[apt29["id"]]))
print("APT29 first 5", sorted(gt)[:5], "only via campaigns", sorted(gt - group_direct[apt29["id"]])[:5])
print("APT29 software", len({ext(d) for s, d in rel("uses", ("intrusion-set",), ("malware", "tool")) if s is apt29 and active(d)}))
users = [ext(g) for g in of("intrusion-set") if active(g) and "T1059.001" in group_techniques(g)]
print("T1059.001 groups", len(users), sorted(users)[:3])
print("T1059 subtechniques", sorted(ext(s) for s, d in rel("subtechnique-of", ("attack-pattern",), ("attack-pattern",)) if ext(d) == "T1059" and active(s)))
net = by_ext["S0039"]
print("S0039", net["name"], net["type"], net.get("x_mitre_aliases"),
      "techniques", len({ext(d) for s, d in rel("uses", ("tool",), ("attack-pattern",)) if s is net and active(d)}))
c = by_ext["C0022"]
print("C0022", c["name"], c["first_seen"], c["last_seen"], "attributed",
      [ext(d) for s, d in rel("attributed-to", ("campaign",), ("intrusion-set",)) if s is c],
      "techniques", len(campaign_tech[c["id"]]))
print("groups with techniques", sum(1 for g in of("intrusion-set") if active(g) and group_techniques(g)),
      "group-technique pairs", sum(len(group_techniques(g)) for g in of("intrusion-set") if active(g)))
