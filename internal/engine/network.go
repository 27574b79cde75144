package engine

// Network is where the engine opens its sockets. A socket belongs to the
// network namespace of the thread that created it, for its whole life, so
// the lab runs the engine inside namespaces it built by supplying a Network
// whose Do enters the namespace (thread locked) around fn.
type Network interface {
	// Do runs fn with the calling goroutine's OS thread inside the network.
	// Sockets fn creates stay there after Do returns.
	Do(fn func() error) error
}

// HostNetwork is the process's own network namespace.
type HostNetwork struct{}

// Do runs fn as it is.
func (HostNetwork) Do(fn func() error) error { return fn() }
