package runrecord

import "time"

// Fault is an endpoint the cluster lost during the run (a pod deleted,
// evicted, OOM-killed, its node not Ready) or its API away for a while,
// and what the cluster did about it. The tests it failed are kept as
// failed samples marked Retried, and measured again (Retry counts).
type Fault struct {
	At time.Time `json:"at"`
	// Seen is when the run's watch of its pods saw the loss, as it
	// happened; absent when the check before or after a test found it.
	Seen     *time.Time `json:"seen,omitempty"`
	Variant  string     `json:"variant,omitempty"`
	Endpoint string     `json:"endpoint,omitempty"` // "" when the fault was the cluster's (its API server)
	Node     string     `json:"node,omitempty"`
	Why      string     `json:"why"`
	Recovery string     `json:"recovery"` // what was done: recreated (and where), or why it could not be
}
