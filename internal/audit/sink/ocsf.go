package sink

import (
	"encoding/json"

	"github.com/dbward/dbward/internal/audit"
)

// OCSF shapes one record after the Open Cybersecurity Schema Framework
// (1.x), so SIEMs that read OCSF (Splunk, Elastic, Datadog, Security Lake)
// file it without a custom parser: statements and their outcomes (folded
// into the statement record or a separate one) as Datastore Activity (6005), logins and sessions as Authentication (3002),
// the trail's own events as Base Events (0). The dbward record itself is
// kept whole under "unmapped", and metadata.sequence is its index in the
// trail, for proofs.
func OCSF(seq uint64, event []byte) ([]byte, error) {
	var ev audit.Event
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	o := map[string]any{
		"time":        ev.Time.UnixMilli(),
		"severity_id": 1, // informational
		"metadata": map[string]any{
			"version":  "1.1.0",
			"uid":      ev.ID,
			"sequence": seq,
			"product":  map[string]any{"name": "dbward", "vendor_name": "dbward"},
		},
		"unmapped": json.RawMessage(event),
	}
	if ev.Identity.Name != "" {
		user := map[string]any{"name": ev.Identity.Name, "type": ev.Identity.Kind}
		if len(ev.Identity.Groups) > 0 {
			groups := make([]map[string]string, len(ev.Identity.Groups))
			for i, g := range ev.Identity.Groups {
				groups[i] = map[string]string{"name": g}
			}
			user["groups"] = groups
		}
		actor := map[string]any{"user": user}
		if ev.Identity.Owner != "" {
			actor["invoked_by"] = ev.Identity.Owner
		}
		if ev.Identity.Fingerprint != "" {
			actor["app_name"] = ev.Identity.Fingerprint
		}
		o["actor"] = actor
	}
	if ev.Client.Addr != "" {
		o["src_endpoint"] = map[string]any{"ip": ev.Client.Addr}
	}
	if ev.Datastore != "" {
		o["database"] = map[string]any{"name": ev.Datastore, "type": "PostgreSQL"}
	}
	class, activity := 0, 0
	switch ev.Type {
	case audit.TypeStatement, audit.TypeOutcome:
		class, activity = 6005, statementActivity(ev.Statement.Kind)
		if ev.Type == audit.TypeOutcome {
			activity = 4 // query
		}
		if ev.Type == audit.TypeOutcome || ev.Outcome != (audit.Outcome{}) {
			o["status_id"], o["status"] = 1, "Success"
			if ev.Outcome.SQLState != "" {
				o["status_id"], o["status"], o["status_code"] = 2, "Failure", ev.Outcome.SQLState
			}
		}
		if ev.Statement.Text != "" {
			o["query_info"] = map[string]any{"query_string": ev.Statement.Text, "uid": ev.Statement.Fingerprint}
		}
		switch ev.Decision.Action {
		case "allow":
			o["action_id"], o["action"] = 1, "Allowed"
		case "deny", "approve":
			o["action_id"], o["action"], o["severity_id"] = 2, "Denied", 3
		}
	case audit.TypeAuthSuccess, audit.TypeSessionStart:
		class, activity = 3002, 1 // logon
		o["status_id"], o["status"] = 1, "Success"
	case audit.TypeAuthFailure:
		class, activity = 3002, 1
		o["status_id"], o["status"], o["severity_id"] = 2, "Failure", 3
		o["status_detail"] = ev.Reason
	case audit.TypeSessionEnd:
		class, activity = 3002, 2 // logoff
	}
	o["class_uid"], o["activity_id"] = class, activity
	o["category_uid"] = class / 1000
	o["type_uid"] = class*100 + activity
	if class == 0 {
		o["message"] = string(ev.Type) + " " + ev.Reason
	}
	return json.Marshal(o)
}

// statementActivity maps a statement kind to a Datastore Activity id.
func statementActivity(kind string) int {
	switch kind {
	case "select":
		return 1 // read
	case "update", "merge":
		return 2 // update
	case "insert", "copy":
		return 5 // write
	case "ddl":
		return 6 // create (schema change)
	case "delete":
		return 7 // delete
	}
	return 4 // query
}
