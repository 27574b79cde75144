package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/agent"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// ServiceProxy is who implements Services on the measured nodes: the
// pod-clusterip and NodePort paths' cost depends on it.
type ServiceProxy struct {
	Name   string `json:"name"`             // "kube-proxy", "cilium" or "unknown"
	Mode   string `json:"mode,omitempty"`   // kube-proxy's: iptables, nftables, ipvs
	Source string `json:"source,omitempty"` // where it was read
	Note   string `json:"note,omitempty"`   // what could not be read, or differs by node
}

// String is the proxy in the words a variant is labelled with:
// "kube-proxy iptables", "cilium kube-proxy-replacement", "unknown".
func (p ServiceProxy) String() string {
	if p.Mode == "" {
		return p.Name
	}
	return p.Name + " " + p.Mode
}

// fact is the proxy's line among the facts.
func (p ServiceProxy) fact() string {
	s := "Service proxy " + p.String()
	if p.Source != "" {
		s += " (" + p.Source + ")"
	}
	if p.Note != "" {
		s += ": " + p.Note
	}
	return s
}

const (
	kubeProxyName      = "kube-proxy"
	kubeProxyConfigKey = "config.conf" // kubeadm's key in ConfigMap kube-system/kube-proxy
	ciliumKPR          = "kube-proxy-replacement"
	// kubeProxyDefaultMode is kube-proxy's mode on Linux when its
	// configuration leaves mode empty.
	kubeProxyDefaultMode = "iptables"
)

// detectServiceProxy finds who implements Services, once: kube-proxy's own
// /proxyMode read from each node's hostNetwork pod (what runs, not what
// was configured); else Cilium's kube-proxy replacement (cilium-config);
// else kube-proxy's ConfigMap in kube-system (mode:), else its DaemonSet's
// --proxy-mode.
func (c *Cluster) detectServiceProxy(ctx context.Context) ServiceProxy {
	c.mu.Lock()
	if c.proxy != nil {
		defer c.mu.Unlock()
		return *c.proxy
	}
	c.mu.Unlock()
	p, notes := c.proxyFromNodes(ctx)
	if p.Name == "" {
		var more []string
		p, more = c.proxyFromObjects(ctx)
		notes = append(notes, more...)
	}
	if p.Note == "" && (p.Name == "unknown" || p.Mode == "") {
		p.Note = strings.Join(notes, "; ")
	}
	c.mu.Lock()
	c.proxy = &p
	c.mu.Unlock()
	return p
}

// proxyFromNodes asks kube-proxy on each node of the pair for its mode by
// exec of `cnibench proxymode` in the node's hostNetwork pod.
func (c *Cluster) proxyFromNodes(ctx context.Context) (ServiceProxy, []string) {
	var p ServiceProxy
	var silent []string
	var firstErr string
	for _, node := range c.choice.Nodes {
		pod, ok := c.byName[node]
		if !ok {
			continue
		}
		var out, stderr bytes.Buffer
		err := c.cfg.Exec.Exec(ctx, c.ns, pod.name, containerName, agent.ProxyModeArgs(binaryPath), &out, &stderr)
		mode := ""
		if err == nil {
			mode, err = agent.ReadProxyMode(out.Bytes())
		} else if msg := strings.TrimPrefix(strings.TrimSpace(stderr.String()), "Error: "); msg != "" {
			err = errors.New(msg)
		}
		if err != nil {
			silent = append(silent, node)
			if firstErr == "" {
				firstErr = agent.Truncate(err.Error(), 200)
			}
			continue
		}
		switch {
		case p.Name == "":
			p = ServiceProxy{Name: kubeProxyName, Mode: mode, Source: "kube-proxy's /proxyMode on " + node}
		case p.Mode != mode:
			p.Note = fmt.Sprintf("%s runs kube-proxy in %s mode", node, mode)
		}
	}
	if len(silent) == 0 {
		return p, nil
	}
	return p, []string{fmt.Sprintf("kube-proxy's /proxyMode did not answer on %s (%s)", strings.Join(silent, ", "), firstErr)}
}

// proxyFromObjects reads what the cluster's objects say: cilium-config's
// kube-proxy-replacement, kube-proxy's ConfigMap, its DaemonSet's flags.
func (c *Cluster) proxyFromObjects(ctx context.Context) (ServiceProxy, []string) {
	var notes []string
	cms := c.cfg.Client.CoreV1().ConfigMaps("kube-system")
	if cm, err := cms.Get(ctx, ciliumConfigMap, metav1.GetOptions{}); err == nil {
		if kpr := cm.Data[ciliumKPR]; kpr == "true" || kpr == "strict" {
			return ServiceProxy{Name: "cilium", Mode: ciliumKPR, Source: "ConfigMap kube-system/" + ciliumConfigMap + " " + ciliumKPR + "=" + kpr}, notes
		}
	} else if !apierrors.IsNotFound(err) {
		notes = append(notes, fmt.Sprintf("ConfigMap kube-system/%s: %v", ciliumConfigMap, err))
	}
	if cm, err := cms.Get(ctx, kubeProxyName, metav1.GetOptions{}); err == nil {
		if p, ok := proxyFromConfig(cm.Data[kubeProxyConfigKey]); ok {
			p.Source = "ConfigMap kube-system/" + kubeProxyName
			return p, notes
		}
		notes = append(notes, "ConfigMap kube-system/kube-proxy has no "+kubeProxyConfigKey+" to read")
	} else if !apierrors.IsNotFound(err) {
		notes = append(notes, fmt.Sprintf("ConfigMap kube-system/%s: %v", kubeProxyName, err))
	}
	// list, not get: deploy/rbac.yaml grants CNI detection list on DaemonSets
	list, err := c.cfg.Client.AppsV1().DaemonSets("kube-system").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + kubeProxyName})
	switch {
	case err == nil && len(list.Items) > 0:
		if mode, ok := proxyModeFlag(&list.Items[0]); ok {
			return ServiceProxy{Name: kubeProxyName, Mode: mode, Source: "DaemonSet kube-system/kube-proxy --proxy-mode"}, notes
		}
		return ServiceProxy{Name: kubeProxyName, Source: "DaemonSet kube-system/kube-proxy", Note: "its mode is in neither its flags nor a ConfigMap cnibench reads"}, notes
	case err != nil && !apierrors.IsNotFound(err):
		notes = append(notes, fmt.Sprintf("DaemonSets in kube-system: %v", err))
	}
	notes = append(notes, "kube-system holds neither kube-proxy's configuration nor a Cilium kube-proxy replacement")
	return ServiceProxy{Name: "unknown"}, notes
}

// proxyFromConfig reads a KubeProxyConfiguration's mode; an empty mode is
// kube-proxy's default.
func proxyFromConfig(conf string) (ServiceProxy, bool) {
	if strings.TrimSpace(conf) == "" {
		return ServiceProxy{}, false
	}
	var kc struct {
		Mode string `json:"mode"`
	}
	if err := yaml.Unmarshal([]byte(conf), &kc); err != nil {
		return ServiceProxy{}, false
	}
	if kc.Mode == "" {
		return ServiceProxy{Name: kubeProxyName, Mode: kubeProxyDefaultMode, Note: "mode unset: kube-proxy's default on Linux"}, true
	}
	return ServiceProxy{Name: kubeProxyName, Mode: kc.Mode}, true
}

// proxyModeFlag finds --proxy-mode in a kube-proxy DaemonSet's containers.
func proxyModeFlag(ds *appsv1.DaemonSet) (string, bool) {
	for _, ct := range ds.Spec.Template.Spec.Containers {
		args := append(append([]string{}, ct.Command...), ct.Args...)
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, "--proxy-mode="); ok && v != "" {
				return v, true
			}
			if a == "--proxy-mode" && i+1 < len(args) && args[i+1] != "" {
				return args[i+1], true
			}
		}
	}
	return "", false
}
