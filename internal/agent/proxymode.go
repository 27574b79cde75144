package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// CmdProxyMode is the hidden command that prints kube-proxy's mode as its
// own metrics endpoint says it, read from a node's hostNetwork pod.
const CmdProxyMode = "proxymode"

// FlagProxyModePort names the port of kube-proxy's metrics endpoint.
const FlagProxyModePort = "port"

// ProxyModePort is kube-proxy's default metricsBindAddress port; its
// /proxyMode answers with the mode in plain text ("iptables").
const ProxyModePort = 10249

// maxProxyMode bounds the bytes read from the endpoint and the mode's length.
const maxProxyMode = 64

// ProxyModeArgs is the command line that prints kube-proxy's mode.
func ProxyModeArgs(binary string) []string { return []string{binary, CmdProxyMode} }

// ReadProxyMode reads /proxyMode's answer: one word of lower-case letters,
// digits or '-' (iptables, nftables, ipvs, kernelspace), surrounding space
// ignored. Anything else is an error: the bytes come from whatever listens
// on the port, which may not be kube-proxy.
func ReadProxyMode(b []byte) (string, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", errors.New("kube-proxy's /proxyMode answered nothing")
	}
	if len(s) > maxProxyMode {
		return "", fmt.Errorf("kube-proxy's /proxyMode answered %d bytes, not a mode", len(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return "", fmt.Errorf("kube-proxy's /proxyMode answered %q, not a mode", Truncate(s, 40))
		}
	}
	return s, nil
}

// ProxyMode asks kube-proxy's metrics endpoint at addr for its mode. addr
// must be a loopback address: the command runs in a node's network
// namespace and never reaches beyond it.
func ProxyMode(ctx context.Context, addr netip.AddrPort) (string, error) {
	if !addr.Addr().IsLoopback() {
		return "", fmt.Errorf("proxymode reads loopback only, not %s", addr.Addr())
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := "http://" + addr.String() + "/proxyMode"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	client := http.Client{Transport: &http.Transport{Proxy: nil}} // never an HTTP proxy from the environment
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("no kube-proxy at %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxProxyMode+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return ReadProxyMode(b)
}
