package runrecord

import "time"

// Fault is an endpoint the cluster lost during the run (a pod deleted,
// evicted, OOM-killed, its node not Ready) or its API away for a while,
// and what the cluster did about it. The tests it failed are kept as
// failed samples marked Retried, and measured again (Retry counts).
type Fault struct {
	At       time.Time `json:"at"`
	Variant  string    `json:"variant,omitempty"`
	Endpoint string    `json:"endpoint,omitempty"` // "" when the fault was the cluster's (its API server)
	Node     string    `json:"node,omitempty"`
	Why      string    `json:"why"`
	Recovery string    `json:"recovery"` // what was done: recreated (and where), or why it could not be
}
