package deploy

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// compose is the subset of the Compose specification the checks read.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"` // "dir" or {context, dockerfile}
	Command     any            `yaml:"command"`
	Environment any            `yaml:"environment"` // map or KEY=VALUE list
	Ports       []any          `yaml:"ports"`
	Volumes     []any          `yaml:"volumes"`
	DependsOn   any            `yaml:"depends_on"` // list or map of {condition}
	Healthcheck *healthcheck   `yaml:"healthcheck"`
	Extra       map[string]any `yaml:",inline"` // everything else (ulimits, ...)
}

type healthcheck struct {
	Test any `yaml:"test"`
}

// interpolateRE matches ${VAR:-default}, the only interpolation form the
// file uses; checks see the defaults, as `docker compose up` without an
// environment would.
var interpolateRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}`)

func interpolate(s string) string { return interpolateRE.ReplaceAllString(s, "$2") }

func strs(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return strings.Fields(interpolate(v))
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, interpolate(fmt.Sprint(e)))
		}
		return out
	default:
		return []string{interpolate(fmt.Sprint(v))}
	}
}

// flagValue finds --name=value or --name value (or -name) in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		for _, p := range []string{"--" + name, "-" + name} {
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v, true
			}
			if a == p && i+1 < len(args) {
				return args[i+1], true
			}
		}
	}
	return "", false
}

func (s service) env() map[string]string {
	out := map[string]string{}
	switch e := s.Environment.(type) {
	case map[string]any:
		for k, v := range e {
			if v == nil {
				out[k] = ""
			} else {
				out[k] = interpolate(fmt.Sprint(v))
			}
		}
	case []any:
		for _, kv := range e {
			k, v, _ := strings.Cut(fmt.Sprint(kv), "=")
			out[k] = interpolate(v)
		}
	}
	return out
}

// publishedPorts are the host ports of "HOST:CONTAINER", "IP:HOST:CONTAINER"
// (optionally /proto) and long-syntax entries.
func (s service) publishedPorts() map[int]int {
	out := map[int]int{}
	for _, p := range s.Ports {
		switch p := p.(type) {
		case map[string]any:
			h, _ := strconv.Atoi(fmt.Sprint(p["published"]))
			c, _ := strconv.Atoi(fmt.Sprint(p["target"]))
			if h > 0 {
				out[h] = c
			}
		default:
			spec, _, _ := strings.Cut(interpolate(fmt.Sprint(p)), "/")
			parts := strings.Split(spec, ":")
			if len(parts) < 2 {
				continue // container port only: not published on a fixed port
			}
			h, err1 := strconv.Atoi(parts[len(parts)-2])
			c, err2 := strconv.Atoi(parts[len(parts)-1])
			if err1 == nil && err2 == nil {
				out[h] = c
			}
		}
	}
	return out
}

// dependsOn maps each dependency to its condition ("service_started" for
// the list form).
func (s service) dependsOn() map[string]string {
	out := map[string]string{}
	switch d := s.DependsOn.(type) {
	case []any:
		for _, n := range d {
			out[fmt.Sprint(n)] = "service_started"
		}
	case map[string]any:
		for n, v := range d {
			cond := "service_started"
			if m, ok := v.(map[string]any); ok && m["condition"] != nil {
				cond = fmt.Sprint(m["condition"])
			}
			out[n] = cond
		}
	}
	return out
}

// mounts maps container paths to their source (named volume or host path).
func (s service) mounts() map[string]string {
	out := map[string]string{}
	for _, v := range s.Volumes {
		switch v := v.(type) {
		case map[string]any:
			out[fmt.Sprint(v["target"])] = fmt.Sprint(v["source"])
		default:
			parts := strings.Split(interpolate(fmt.Sprint(v)), ":")
			if len(parts) >= 2 {
				out[parts[1]] = parts[0]
			}
		}
	}
	return out
}

// hostPort splits "host:port" or "scheme://host:port".
func hostPort(s string) (string, int, error) {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", 0, err
		}
		s = u.Host
	}
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("%q has no port", s)
	}
	n, err := strconv.Atoi(p)
	return h, n, err
}

// bindPort is the port a "0.0.0.0:N" / "http://0.0.0.0:N" listen flag opens.
func bindPort(args []string, flag string) (int, bool) {
	v, ok := flagValue(args, flag)
	if !ok {
		return 0, false
	}
	_, p, err := hostPort(v)
	return p, err == nil
}

// files are the deployment files under test plus the worker's source, whose
// flags the compose file must use correctly.
type files struct {
	compose    compose
	dockerfile string
	workerMain string
}

func loadFiles(t *testing.T) files {
	t.Helper()
	root := filepath.Join("..", "..")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var f files
	if err := yaml.Unmarshal(read("docker-compose.yml"), &f.compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	f.dockerfile = string(read("Dockerfile"))
	f.workerMain = string(read(filepath.Join("worker", "main.go")))
	return f
}

// check returns every problem found; an empty result means the files hang
// together.
func check(f files) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	svc := f.compose.Services

	for _, name := range []string{"pd", "tikv", "tidb", "temporal", "temporal-ui", "worker"} {
		if _, ok := svc[name]; !ok {
			bad("service %q missing", name)
		}
	}
	if len(problems) > 0 {
		return problems
	}

	// Images: the right products, pinned (a moving "latest" makes the
	// checked flags below meaningless).
	for name, prefix := range map[string]string{
		"pd": "pingcap/pd:", "tikv": "pingcap/tikv:", "tidb": "pingcap/tidb:",
		"temporal": "temporalio/", "temporal-ui": "temporalio/ui:",
	} {
		img := interpolate(svc[name].Image)
		if !strings.HasPrefix(img, prefix) {
			bad("%s: image %q, want %s*", name, img, prefix)
		} else if strings.HasSuffix(img, ":latest") || !strings.Contains(img, ":") {
			bad("%s: image %q is not pinned", name, img)
		}
	}

	// Published ports: what `starter import --tidb-port 4000 --tidb-status
	// 10080 --pd-urls 127.0.0.1:2379 --temporal-address localhost:7233`
	// and a browser on the UI reach.
	for name, want := range map[string][]int{
		"tidb": {4000, 10080}, "pd": {2379}, "temporal": {7233}, "temporal-ui": {8080},
	} {
		got := svc[name].publishedPorts()
		for _, p := range want {
			if c, ok := got[p]; !ok {
				bad("%s: port %d not published (have %v)", name, p, got)
			} else if c != p {
				bad("%s: host port %d maps to container port %d", name, p, c)
			}
		}
	}

	// PD listens for clients on 2379 and advertises itself by service name.
	pdArgs := strs(svc["pd"].Command)
	pdPort, ok := bindPort(pdArgs, "client-urls")
	if !ok || pdPort != 2379 {
		bad("pd: --client-urls does not listen on 2379 (%v)", pdArgs)
	}
	if v, _ := flagValue(pdArgs, "advertise-client-urls"); v != "http://pd:2379" {
		bad("pd: --advertise-client-urls %q, want http://pd:2379", v)
	}
	if v, _ := flagValue(pdArgs, "initial-cluster"); !strings.Contains(v, "pd=http://pd:") {
		bad("pd: --initial-cluster %q does not name pd", v)
	}
	pointsAtPD := func(name, flag string) {
		v, ok := flagValue(strs(svc[name].Command), flag)
		if !ok {
			bad("%s: no --%s", name, flag)
			return
		}
		for _, ep := range strings.Split(v, ",") {
			h, p, err := hostPort(ep)
			if err != nil || h != "pd" || p != pdPort {
				bad("%s: --%s=%s does not point at PD (pd:%d)", name, flag, v, pdPort)
			}
		}
	}
	pointsAtPD("tikv", "pd")
	pointsAtPD("tidb", "path")
	if v, _ := flagValue(strs(svc["tidb"].Command), "store"); v != "tikv" {
		bad("tidb: --store=%q, want tikv", v)
	}

	// TiKV advertises resolvable addresses (PD hands them to importers).
	tikvArgs := strs(svc["tikv"].Command)
	for flag, bind := range map[string]string{"advertise-addr": "addr", "advertise-status-addr": "status-addr"} {
		adv, ok := flagValue(tikvArgs, flag)
		h, p, err := hostPort(adv)
		if !ok || err != nil || h != "tikv" {
			bad("tikv: --%s=%q, want tikv:<port>", flag, adv)
			continue
		}
		if bp, ok := bindPort(tikvArgs, bind); ok && bp != p {
			bad("tikv: --%s port %d differs from --%s port %d", flag, p, bind, bp)
		}
	}
	if _, ok := svc["tikv"].Extra["ulimits"]; !ok {
		bad("tikv: no ulimits (TiKV refuses to start below 82920 open files)")
	}

	// Temporal: the dev server must listen beyond loopback to be reachable.
	tArgs := strs(svc["temporal"].Command)
	if !slices.Contains(tArgs, "start-dev") {
		bad("temporal: not `server start-dev`: %v", tArgs)
	}
	if v, _ := flagValue(tArgs, "ip"); v != "0.0.0.0" {
		bad("temporal: --ip=%q, want 0.0.0.0", v)
	}
	if v := svc["temporal-ui"].env()["TEMPORAL_ADDRESS"]; v != "temporal:7233" {
		bad("temporal-ui: TEMPORAL_ADDRESS=%q, want temporal:7233", v)
	}

	// The worker: built from this repository, connected to Temporal, with
	// its password from the environment and engines on a volume.
	w := svc["worker"]
	deps := w.dependsOn()
	for _, d := range []string{"temporal", "tidb"} {
		if _, ok := deps[d]; !ok {
			bad("worker: does not depend on %s", d)
		}
	}
	for name, s := range svc {
		for dep, cond := range s.dependsOn() {
			target, ok := svc[dep]
			switch {
			case !ok:
				bad("%s: depends on unknown service %q", name, dep)
			case cond == "service_healthy" && target.Healthcheck == nil:
				bad("%s: waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
	}
	buildCtx, dockerfile := "", "Dockerfile"
	switch b := w.Build.(type) {
	case string:
		buildCtx = b
	case map[string]any:
		buildCtx = fmt.Sprint(b["context"])
		if d, ok := b["dockerfile"]; ok {
			dockerfile = fmt.Sprint(d)
		}
	}
	if buildCtx != "." || dockerfile != "Dockerfile" {
		bad("worker: build context %q / dockerfile %q, want the repository root's Dockerfile", buildCtx, dockerfile)
	}
	wArgs := strs(w.Command)
	if v, _ := flagValue(wArgs, "temporal-address"); v != "temporal:7233" {
		bad("worker: --temporal-address=%q, want temporal:7233", v)
	}
	for _, a := range wArgs {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.Contains(f.workerMain, `fs.String("`+name+`"`) && !strings.Contains(f.workerMain, `fs.Int("`+name+`"`) &&
			!strings.Contains(f.workerMain, `fs.Bool("`+name+`"`) {
			bad("worker: flag --%s is not a flag of worker/main.go", name)
		}
	}
	if _, ok := w.env()["TEMPEST_TIDB_PASSWORD"]; !ok {
		bad("worker: TEMPEST_TIDB_PASSWORD not in its environment")
	}
	kvDir, ok := flagValue(wArgs, "sorted-kv-dir")
	if src, mounted := w.mounts()[kvDir]; !ok || !mounted {
		bad("worker: --sorted-kv-dir %q is not a mounted volume", kvDir)
	} else if _, declared := f.compose.Volumes[src]; !declared {
		bad("worker: sorted-kv-dir volume %q is not declared", src)
	}

	// Every named volume used is declared (bind mounts start with . or /).
	for name, s := range svc {
		for target, src := range s.mounts() {
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				continue
			}
			if _, ok := f.compose.Volumes[src]; !ok {
				bad("%s: volume %q (at %s) is not declared", name, src, target)
			}
		}
	}

	// The Dockerfile builds both binaries and starts the worker.
	if !regexp.MustCompile(`go build .*\./worker\b`).MatchString(f.dockerfile) {
		bad("Dockerfile: no `go build ... ./worker`")
	}
	if !regexp.MustCompile(`go build .*\./starter\b`).MatchString(f.dockerfile) {
		bad("Dockerfile: no `go build ... ./starter`")
	}
	if !regexp.MustCompile(`(?m)^FROM golang:`).MatchString(f.dockerfile) ||
		len(regexp.MustCompile(`(?m)^FROM `).FindAllString(f.dockerfile, -1)) < 2 {
		bad("Dockerfile: not a multi-stage build from a golang image")
	}
	if !regexp.MustCompile(`(?m)^ENTRYPOINT \[".*/worker"\]`).MatchString(f.dockerfile) {
		bad("Dockerfile: the entrypoint is not the worker")
	}
	return problems
}

func TestComposeFile(t *testing.T) {
	for _, p := range check(loadFiles(t)) {
		t.Error(p)
	}
}

// TestComposeCheckCatches breaks the real files in the ways the checks
// exist for, and expects each break to be reported: a check that cannot
// fail proves nothing.
func TestComposeCheckCatches(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(f *files)
		want   string
	}{
		{"missing service", func(f *files) { delete(f.compose.Services, "temporal-ui") }, `service "temporal-ui" missing`},
		{"tidb port", func(f *files) {
			s := f.compose.Services["tidb"]
			s.Ports = []any{"4000:4000"}
			f.compose.Services["tidb"] = s
		},
			"tidb: port 10080 not published"},
		{"tikv pd", func(f *files) { setArg(f, "tikv", "--pd=", "--pd=pd0:2379") }, "tikv: --pd=pd0:2379 does not point at PD"},
		{"tidb path", func(f *files) { setArg(f, "tidb", "--path=", "--path=pd:2380") }, "tidb: --path=pd:2380 does not point at PD"},
		{"worker deps", func(f *files) {
			s := f.compose.Services["worker"]
			s.DependsOn = []any{"tidb"}
			f.compose.Services["worker"] = s
		}, "worker: does not depend on temporal"},
		{"worker flag", func(f *files) { setArg(f, "worker", "--node-id=", "--node=worker-1") }, "flag --node is not a flag"},
		{"dockerfile", func(f *files) { f.dockerfile = strings.ReplaceAll(f.dockerfile, "./worker", "./cmd/other") }, "no `go build ... ./worker`"},
		{"healthy without healthcheck", func(f *files) {
			s := f.compose.Services["tidb"]
			s.Healthcheck = nil
			f.compose.Services["tidb"] = s
		}, "waits for tidb to be healthy"},
		{"latest", func(f *files) {
			s := f.compose.Services["pd"]
			s.Image = "pingcap/pd:latest"
			f.compose.Services["pd"] = s
		}, "pd: image \"pingcap/pd:latest\" is not pinned"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := loadFiles(t)
			tc.mutate(&f)
			problems := check(f)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("broken file not reported as %q; problems: %q", tc.want, problems)
			}
		})
	}
}

// setArg replaces the argument of service name starting with prefix.
func setArg(f *files, name, prefix, repl string) {
	s := f.compose.Services[name]
	args := strs(s.Command)
	for i, a := range args {
		if strings.HasPrefix(a, prefix) {
			args[i] = repl
		}
	}
	cmd := make([]any, len(args))
	for i, a := range args {
		cmd[i] = a
	}
	s.Command = cmd
	f.compose.Services[name] = s
}
