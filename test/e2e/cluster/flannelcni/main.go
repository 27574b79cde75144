// Command flannelcni is the e2e cluster's stand-in for flannel's CNI plugin
// (github.com/flannel-io/cni-plugin, which the module proxy does not
// serve), installed as "flannel": it does what that plugin does — reads
// flanneld's subnet file and delegates to the bridge plugin with
// host-local IPAM over the node's flannel subnet, flannel's MTU and a route
// to the flannel network — so a node's CNI configuration is flannel's own
// ({"type": "flannel", "delegate": {...}}).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/cnibench/cnibench/test/e2e/cluster/envfile"
)

const defaultSubnetFile = "/run/flannel/subnet.env"

type netConf struct {
	CNIVersion string         `json:"cniVersion"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	SubnetFile string         `json:"subnetFile"`
	DataDir    string         `json:"dataDir"`
	IPAMDir    string         `json:"ipamDataDir"` // ours: host-local's dataDir
	Delegate   map[string]any `json:"delegate"`
}

func main() {
	if err := run(); err != nil {
		// The CNI error format, on stdout.
		_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"cniVersion": "0.4.0", "code": 999, "msg": err.Error()})
		os.Exit(1)
	}
}

func run() error {
	cmd := os.Getenv("CNI_COMMAND")
	if cmd == "VERSION" {
		fmt.Println(`{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}`)
		return nil
	}
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var conf netConf
	if err := json.Unmarshal(stdin, &conf); err != nil {
		return fmt.Errorf("flannel: parse network configuration: %w", err)
	}
	if conf.SubnetFile == "" {
		conf.SubnetFile = defaultSubnetFile
	}
	if conf.DataDir == "" {
		conf.DataDir = "/var/lib/cni/flannel"
	}
	saved := filepath.Join(conf.DataDir, os.Getenv("CNI_CONTAINERID"))
	switch cmd {
	case "ADD":
		d, err := delegate(conf)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(conf.DataDir, 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(saved, d, 0o600); err != nil {
			return err
		}
		return execDelegate(d)
	case "DEL", "CHECK":
		d, err := os.ReadFile(saved)
		if errors.Is(err, os.ErrNotExist) {
			if d, err = delegate(conf); err != nil {
				return nil // nothing to delete: flanneld and its subnet are gone
			}
		} else if err != nil {
			return err
		}
		if err := execDelegate(d); err != nil {
			return err
		}
		if cmd == "DEL" {
			_ = os.Remove(saved)
		}
		return nil
	}
	return fmt.Errorf("flannel: unknown CNI_COMMAND %q", cmd)
}

// delegate builds the bridge configuration from flanneld's subnet file,
// as flannel's plugin does.
func delegate(conf netConf) ([]byte, error) {
	env, err := envfile.Read(conf.SubnetFile)
	if err != nil {
		return nil, fmt.Errorf("flannel: %w", err)
	}
	for _, k := range []string{"FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU"} {
		if env[k] == "" {
			return nil, fmt.Errorf("flannel: %s lacks %s", conf.SubnetFile, k)
		}
	}
	subnet, err := netip.ParsePrefix(env["FLANNEL_SUBNET"]) // 198.19.K.1/24: the gateway's
	if err != nil {
		return nil, fmt.Errorf("flannel: FLANNEL_SUBNET: %w", err)
	}
	mtu, err := strconv.Atoi(env["FLANNEL_MTU"])
	if err != nil {
		return nil, fmt.Errorf("flannel: FLANNEL_MTU: %w", err)
	}
	d := map[string]any{}
	for k, v := range conf.Delegate {
		d[k] = v
	}
	d["name"], d["cniVersion"] = conf.Name, conf.CNIVersion
	if _, ok := d["type"]; !ok {
		d["type"] = "bridge"
	}
	if _, ok := d["isGateway"]; !ok {
		d["isGateway"] = true
	}
	if _, ok := d["ipMasq"]; !ok {
		d["ipMasq"] = env["FLANNEL_IPMASQ"] != "true" // flanneld masquerades itself
	}
	if _, ok := d["mtu"]; !ok {
		d["mtu"] = mtu
	}
	ranges := [][]map[string]string{{{"subnet": subnet.Masked().String()}}}
	routes := []map[string]string{{"dst": env["FLANNEL_NETWORK"]}}
	// Dual-stack (EnableIPv6): an IPv6 range and route beside IPv4's.
	if v6 := env["FLANNEL_IPV6_SUBNET"]; v6 != "" && env["FLANNEL_IPV6_NETWORK"] != "" {
		subnet6, err := netip.ParsePrefix(v6)
		if err != nil {
			return nil, fmt.Errorf("flannel: FLANNEL_IPV6_SUBNET: %w", err)
		}
		ranges = append(ranges, []map[string]string{{"subnet": subnet6.Masked().String()}})
		routes = append(routes, map[string]string{"dst": env["FLANNEL_IPV6_NETWORK"]})
	}
	ipam := map[string]any{
		"type":   "host-local",
		"ranges": ranges,
		"routes": routes,
	}
	if conf.IPAMDir != "" {
		ipam["dataDir"] = conf.IPAMDir
	}
	d["ipam"] = ipam
	return json.Marshal(d)
}

// execDelegate runs the delegate plugin found on CNI_PATH with the same
// environment, passing its result and exit status through.
func execDelegate(conf []byte) error {
	var c struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(conf, &c); err != nil {
		return err
	}
	var bin string
	for _, dir := range filepath.SplitList(os.Getenv("CNI_PATH")) {
		if p := filepath.Join(dir, c.Type); isExec(p) {
			bin = p
			break
		}
	}
	if bin == "" {
		return fmt.Errorf("flannel: delegate plugin %q not on CNI_PATH", c.Type)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(conf)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode()) // the delegate already wrote its error
		}
		return err
	}
	return nil
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
