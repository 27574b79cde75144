// Package bench plans and runs cnibench's measurement: a matrix of
// scenarios (node→node baseline, pod→node, pod→pod, pod→Service, …) ×
// protocols × streams, repeated in an order that resists drift, on any
// cluster.Cluster, recording every test into a runrecord.Run.
package bench
