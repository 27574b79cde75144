package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// A plan is every setting of a run, keyed by the name of run's flag that
// sets it ("duration: 10s"), as `run -f plan.yaml` reads it and as the run
// record embeds it (runrecord.Run.PlanFile) for `run --from run.json`.
// Its keys are run's flags themselves, so a new flag is a plan key
// without anyone remembering to add it.

// notPlanKeys are run's flags that a plan cannot hold, and why. kubectl's
// connection flags (--kubeconfig, --context, --token, ...) are not plan
// keys either: who connects, and with which secrets, is the kubeconfig's
// business, and a plan is kept in a repository and copied into records.
var notPlanKeys = map[string]string{
	"filename": "it names the plan",
	"from":     "it names a plan",
	"resume":   "it finishes a recorded run with that run's own plan",
	"help":     "it runs nothing",
}

// unrecordedKeys are plan keys the record's plan leaves out: how results
// are shown and where they go, not what was measured. Repeating a run
// from its record must not write over that record's directory.
var unrecordedKeys = []string{"dry-run", "output", "out-dir", "quiet", "verbose", "push", "push-job", "push-label"}

// kubeConnFlags are the names of kubectl's connection flags.
var kubeConnFlags = sync.OnceValue(func() []string {
	fs := pflag.NewFlagSet("conn", pflag.ContinueOnError)
	addKubeConnFlags(fs)
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return names
})

// isPlanKey reports whether run's flag name may be set by a plan.
func isPlanKey(name string) bool {
	_, not := notPlanKeys[name]
	return !not && !slices.Contains(kubeConnFlags(), name)
}

// planKeys are the plan keys of run's flag set fs, sorted.
func planKeys(fs *pflag.FlagSet) []string {
	var keys []string
	fs.VisitAll(func(f *pflag.Flag) {
		if isPlanKey(f.Name) {
			keys = append(keys, f.Name)
		}
	})
	slices.Sort(keys)
	return keys
}

// valueForm says what a flag of this pflag type takes, for errors.
func valueForm(typ string) (form string, ok bool) {
	forms := map[string]string{
		"bool":        "true or false",
		"int":         "a whole number",
		"uint64":      "a whole number",
		"string":      "a string",
		"duration":    "a duration like 10s",
		"stringSlice": "a list like [a, b] (or one value)",
		"intSlice":    "a list of whole numbers like [1, 4] (or one)",
		"sweep":       "a list of numbers or ranges like [1, 4] or [1..8x2] (or one)",
		"stringArray": "a list like [a, b] (or one value)",
	}
	form, ok = forms[typ]
	return form, ok
}

// readPlanFile reads a plan file: YAML (or JSON) mapping plan keys to
// values.
func readPlanFile(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-f: %w", err)
	}
	plan, err := decodePlan(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return plan, nil
}

// decodePlan decodes a plan's YAML, keeping numbers exact (a seed has 64
// bits) and refusing a key given twice.
func decodePlan(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid plan: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var plan map[string]any
	if err := dec.Decode(&plan); err != nil || plan == nil {
		return nil, errors.New("a plan is a mapping of run's flag names to values, like \"duration: 10s\"")
	}
	return plan, nil
}

// applyPlan sets fs's flags from plan, except those given on the command
// line: a flag given explicitly overrides the plan. Every bad key or value
// is reported, each naming its key and what it takes; source says where
// the plan comes from.
func applyPlan(fs *pflag.FlagSet, plan map[string]any, source string) error {
	keys := make([]string, 0, len(plan))
	for k := range plan {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		f := fs.Lookup(k)
		if f == nil || !isPlanKey(k) {
			errs = append(errs, fmt.Errorf("%s: unknown key %q: the keys are run's flags: %s", source, k, strings.Join(planKeys(fs), ", ")))
			continue
		}
		if f.Changed {
			continue // the command line wins
		}
		if err := setPlanValue(fs, f, plan[k]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", source, k, err))
		}
	}
	return errors.Join(errs...)
}

// setPlanValue sets f from a decoded plan value as if the flag were given.
func setPlanValue(fs *pflag.FlagSet, f *pflag.Flag, v any) error {
	form, _ := valueForm(f.Value.Type())
	list, isList := v.([]any)
	if isList {
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return fmt.Errorf("takes one value, not a list: %s", form)
		}
		items := make([]string, len(list))
		for i, item := range list {
			s, ok := scalarString(item)
			if !ok {
				return fmt.Errorf("item %d is not a plain value: want %s", i+1, form)
			}
			items[i] = s
		}
		if err := sv.Replace(items); err != nil {
			return fmt.Errorf("invalid value %v: %w (want %s)", items, err, form)
		}
		f.Changed = true
		return nil
	}
	s, ok := scalarString(v)
	if !ok {
		return fmt.Errorf("want %s, not a mapping or an empty value", form)
	}
	if err := fs.Set(f.Name, s); err != nil {
		return fmt.Errorf("invalid value %q: %w (want %s)", s, err, form)
	}
	return nil
}

// scalarString is a plain decoded value as a flag would be given it.
func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// recordedPlan is the plan the run record embeds: every plan key that
// applies to cluster with the value the run used (defaults included, so
// a later cnibench with other defaults repeats the same run), the order's
// seed as drawn, and none of unrecordedKeys.
func recordedPlan(fs *pflag.FlagSet, cluster string, seed uint64) map[string]any {
	plan := map[string]any{}
	fs.VisitAll(func(f *pflag.Flag) {
		if !isPlanKey(f.Name) || slices.Contains(unrecordedKeys, f.Name) {
			return
		}
		if c := flagCluster(f); c != "" && c != cluster {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			plan[f.Name] = append([]string{}, sv.GetSlice()...) // [] rather than null
			return
		}
		plan[f.Name] = f.Value.String()
	})
	plan["seed"] = strconv.FormatUint(seed, 10)
	return plan
}

// applyPlanSources applies the plan of -f or of --from's record to fs.
func (o *runOptions) applyPlanSources(fs *pflag.FlagSet) error {
	switch {
	case o.planFile != "" && o.from != "":
		return errors.New("-f and --from both give the plan: use one")
	case o.resume != "" && (o.planFile != "" || o.from != ""):
		return errors.New("--resume continues a run with its recorded plan: drop -f and --from")
	case o.planFile != "":
		plan, err := readPlanFile(o.planFile)
		if err != nil {
			return err
		}
		return applyPlan(fs, plan, o.planFile)
	case o.from != "":
		rec, err := runrecord.ReadFile(o.from)
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		if rec.PlanFile == nil {
			return fmt.Errorf("--from %s: the record has no plan (an older cnibench wrote it): repeat its command line, %s", o.from, strings.Join(rec.CommandLine, " "))
		}
		return applyPlan(fs, rec.PlanFile, o.from+" (its plan)")
	}
	return nil
}
