package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"
)

// `docker compose` is not installed where these tests run, so compose.yaml is checked
// by decoding it strictly into the part of the Compose specification it uses and by
// checking every reference in it against the code and the other files.

type composeFile struct {
	Name            string                    `yaml:"name"`
	XPeakreadyImage string                    `yaml:"x-peakready-image"`
	XIntegrator     composeService            `yaml:"x-integrator"`
	Services        map[string]composeService `yaml:"services"`
	Secrets         map[string]composeSecret  `yaml:"secrets"`
	Volumes         map[string]struct{}       `yaml:"volumes"`
}

type composeService struct {
	Image           string                    `yaml:"image"`
	Command         []string                  `yaml:"command"`
	Environment     map[string]string         `yaml:"environment"`
	Ports           []string                  `yaml:"ports"`
	Volumes         []string                  `yaml:"volumes"`
	Secrets         []string                  `yaml:"secrets"`
	DependsOn       map[string]composeDepends `yaml:"depends_on"`
	Healthcheck     *composeHealthcheck       `yaml:"healthcheck"`
	Restart         string                    `yaml:"restart"`
	StopGracePeriod string                    `yaml:"stop_grace_period"`
	Networks        map[string]composeNetwork `yaml:"networks"`
}

type composeDepends struct {
	Condition string `yaml:"condition"`
}

type composeHealthcheck struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Timeout  string   `yaml:"timeout"`
	Retries  int      `yaml:"retries"`
}

type composeNetwork struct {
	Aliases []string `yaml:"aliases"`
}

type composeSecret struct {
	Environment string `yaml:"environment"`
	File        string `yaml:"file"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate replaces ${NAME}, ${NAME:-default}, ${NAME-default} and ${NAME:?error}
// the way Compose does, from env.
func interpolate(s string, env map[string]string) (string, error) {
	var errs []error
	out := interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		v, set := env[p[1]]
		switch p[2] {
		case ":-":
			if v == "" {
				return p[3]
			}
		case "-":
			if !set {
				return p[3]
			}
		case ":?", "?":
			if v == "" {
				errs = append(errs, fmt.Errorf("%s: %s", p[1], p[3]))
			}
		default:
			if !set {
				errs = append(errs, fmt.Errorf("%s is not set and has no default", p[1]))
			}
		}
		return v
	})
	return out, errors.Join(errs...)
}

// dotEnv reads deploy/.env.
func dotEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(repoFile(t, ".env")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env: %q is not NAME=value", line)
		}
		env[k] = v
	}
	return env
}

// loadCompose reads compose.yaml as Compose would with env (and strictly).
func loadCompose(t *testing.T, env map[string]string) composeFile {
	t.Helper()
	text, err := interpolate(string(repoFile(t, "compose.yaml")), env)
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		t.Fatalf("compose.yaml: more than one document")
	}
	return c
}

// containerPort is the container side of a "HOST:CONTAINER" port.
func containerPort(p string) string { return p[strings.LastIndex(p, ":")+1:] }

// listenPort is the port a peakready command's --addr listens on.
func listenPort(t *testing.T, flags map[string][]string) string {
	t.Helper()
	addr := flags["addr"]
	if len(addr) != 1 || !strings.HasPrefix(addr[0], "0.0.0.0:") {
		t.Errorf("--addr %q: a container must listen on 0.0.0.0:PORT", addr)
		return ""
	}
	return strings.TrimPrefix(addr[0], "0.0.0.0:")
}

// TestCompose checks deploy/compose.yaml: images, commands and their flags, ports,
// environment, secrets, volumes and the dependencies between services.
func TestCompose(t *testing.T) {
	t.Parallel()
	env := dotEnv(t)
	c := loadCompose(t, env)

	const published = "ghcr.io/peakready/peakready:latest"
	servicePort := map[string]string{} // service → the port it listens on in its container
	var integrators []string
	for name, s := range c.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image", name)
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("service %s: restart %q, want unless-stopped", name, s.Restart)
		}
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %s, which is not a service", name, dep)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if st, err := os.Stat(src); err != nil || !st.IsDir() {
					t.Errorf("service %s mounts %s, which is not a directory of deploy/", name, src)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts volume %s, which is not declared", name, src)
			}
		}
		if len(s.Command) == 0 || s.Image != published {
			continue
		}
		// A peakready service: the published image by default, one subcommand.
		switch s.Command[0] {
		case "fake":
			if len(s.Command) < 2 {
				t.Fatalf("service %s: %q names no platform", name, s.Command)
			}
			flags := flagValues(t, s.Command[2:], subcommand(t, "fake", s.Command[1]))
			servicePort[name] = listenPort(t, flags)
		case "integrator":
			integrators = append(integrators, name)
			flags := flagValues(t, s.Command[1:], subcommand(t, "integrator"))
			servicePort[name] = listenPort(t, flags)
		default:
			t.Errorf("service %s runs %q: not a long-running peakready command", name, s.Command[0])
		}
		for _, p := range s.Ports {
			if containerPort(p) != servicePort[name] {
				t.Errorf("service %s publishes %s but listens on %s", name, p, servicePort[name])
			}
		}
	}
	for _, want := range []string{"redis", "netsuite", "shopify", "salesforce", "prometheus", "grafana"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("compose.yaml has no %s service", want)
		}
	}
	slices.Sort(integrators)
	if !slices.Equal(integrators, []string{"integrator-1", "integrator-2"}) {
		t.Fatalf("integrator services %q, want two replicas integrator-1 and integrator-2", integrators)
	}

	// PEAKREADY_IMAGE selects a locally built image for every peakready service.
	local := loadCompose(t, map[string]string{"PEAKREADY_IMAGE": "peakready/peakready:local"})
	for name, s := range c.Services {
		if s.Image == published && local.Services[name].Image != "peakready/peakready:local" {
			t.Errorf("service %s ignores PEAKREADY_IMAGE", name)
		}
	}

	t.Run("redis is durable and non-evicting", func(t *testing.T) {
		r := c.Services["redis"]
		if r.Image != "redis:7-alpine" {
			t.Errorf("redis image %q, want the official redis:7-alpine by default", r.Image)
		}
		args := map[string]string{}
		for i := 0; i+1 < len(r.Command); i += 2 {
			args[r.Command[i]] = r.Command[i+1]
		}
		for k, v := range map[string]string{"--appendonly": "yes", "--appendfsync": "everysec", "--maxmemory-policy": "noeviction"} {
			if args[k] != v {
				t.Errorf("redis %s %q, want %q", k, args[k], v)
			}
		}
		if len(r.Volumes) == 0 || !strings.HasSuffix(r.Volumes[0], ":/data") {
			t.Errorf("redis keeps its append-only file in a volume at /data; volumes %q", r.Volumes)
		}
		if r.Healthcheck == nil {
			t.Errorf("redis has no healthcheck: the integrators would start before it answers")
		}
	})

	t.Run("integrators", func(t *testing.T) {
		for _, name := range integrators {
			s := c.Services[name]
			flags := flagValues(t, s.Command[1:], nil)
			u, err := url.Parse(first(flags["redis"]))
			if err != nil || u.Scheme != "redis" || u.Hostname() != "redis" || u.Port() != "6379" {
				t.Errorf("%s: --redis %q, want redis://redis:6379/...", name, first(flags["redis"]))
			}
			for _, f := range []string{"netsuite-url", "shopify-url"} {
				u, err := url.Parse(first(flags[f]))
				if err != nil || servicePort[u.Hostname()] == "" || u.Port() != servicePort[u.Hostname()] {
					t.Errorf("%s: --%s %q is not a peakready service at its port", name, f, first(flags[f]))
				}
			}
			if s.DependsOn["redis"].Condition != "service_healthy" {
				t.Errorf("%s must wait for a healthy redis", name)
			}
			if !slices.Contains(s.Networks["default"].Aliases, "integrator") {
				t.Errorf("%s lacks the network alias integrator that spreads webhooks over the replicas", name)
			}
			for k, v := range s.Environment {
				if !integratorEnvOK(t, k) {
					t.Errorf("%s: environment %s is not a variable the integrator reads", name, k)
				}
				if !strings.HasSuffix(k, "_FILE") {
					continue
				}
				secret, ok := strings.CutPrefix(v, "/run/secrets/")
				if !ok || !slices.Contains(s.Secrets, secret) {
					t.Errorf("%s: %s=%s is not one of the service's secrets under /run/secrets", name, k, v)
				}
			}
			for _, sec := range s.Secrets {
				top, ok := c.Secrets[sec]
				if !ok {
					t.Errorf("%s uses secret %s, which is not declared", name, sec)
					continue
				}
				want := "PEAKREADY_" + strings.ToUpper(sec)
				if top.Environment != want || env[want] == "" {
					t.Errorf("secret %s comes from %q; want the variable %s, with a default in .env", sec, top.Environment, want)
				}
			}
			for _, required := range []string{"PEAKREADY_WEBHOOK_SECRET", "PEAKREADY_NETSUITE_TOKEN"} {
				if s.Environment[required] == "" && s.Environment[required+"_FILE"] == "" {
					t.Errorf("%s does not set %s", name, required)
				}
			}
			if p := s.Ports; len(p) != 1 {
				t.Errorf("%s ports %q", name, p)
			}
		}
	})

	t.Run("the fake Shopify delivers to the integrators, signed with their secret", func(t *testing.T) {
		flags := flagValues(t, c.Services["shopify"].Command[2:], nil)
		if got := first(flags["webhook-secret"]); got != env["PEAKREADY_WEBHOOK_SECRET"] {
			t.Errorf("the fake Shopify signs with %q, the integrators verify %q", got, env["PEAKREADY_WEBHOOK_SECRET"])
		}
		hooks := flags["webhook"]
		if len(hooks) == 0 {
			t.Fatal("the fake Shopify has no webhook subscription")
		}
		mux, _ := liveIntegrator(t)
		for _, h := range hooks {
			topic, target, _ := strings.Cut(h, "=")
			u, err := url.Parse(target)
			if err != nil || u.Hostname() != "integrator" || u.Port() != servicePort["integrator-1"] {
				t.Errorf("webhook %s goes to %q, not the integrators' alias and port", topic, target)
				continue
			}
			// The path is the integrator's ingress: an unsigned POST there is a 401, not a 404.
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			mux.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("webhook path %s: the integrator answers %d to an unsigned POST, want 401", u.Path, rec.Code)
			}
		}
	})

	t.Run("prometheus scrapes every replica", func(t *testing.T) {
		checkPrometheus(t, c, servicePort, integrators)
	})

	t.Run("grafana", func(t *testing.T) {
		checkGrafana(t, c)
	})
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

type prometheusConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func decodeStrict(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func checkPrometheus(t *testing.T, c composeFile, servicePort map[string]string, integrators []string) {
	p := c.Services["prometheus"]
	var cfgDir string
	for _, v := range p.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasPrefix(dst, "/etc/prometheus") {
			cfgDir = strings.TrimPrefix(src, "./")
		}
	}
	if cfgDir != "prometheus" || !slices.Contains(p.Command, "--config.file=/etc/prometheus/prometheus.yml") {
		t.Fatalf("prometheus does not read deploy/prometheus/prometheus.yml: volumes %q, command %q", p.Volumes, p.Command)
	}
	var cfg prometheusConfig
	decodeStrict(t, "prometheus.yml", repoFile(t, "prometheus/prometheus.yml"), &cfg)
	mux, families := liveIntegrator(t)
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, sc.MetricsPath, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("job %s scrapes %s, which the integrator answers %d", sc.JobName, sc.MetricsPath, rec.Code)
		}
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				host, port, _ := strings.Cut(tg, ":")
				if servicePort[host] == "" || port != servicePort[host] {
					t.Errorf("target %s is not a compose service at the port it listens on", tg)
				}
				targets = append(targets, host)
			}
		}
	}
	slices.Sort(targets)
	if !slices.Equal(targets, integrators) {
		t.Errorf("prometheus scrapes %q, want every integrator replica %q", targets, integrators)
	}
	for _, rf := range cfg.RuleFiles {
		rel, ok := strings.CutPrefix(rf, "/etc/prometheus/")
		if !ok {
			t.Errorf("rule file %s is outside the mounted /etc/prometheus", rf)
			continue
		}
		var rules alertRules
		decodeStrict(t, rf, repoFile(t, "prometheus/"+rel), &rules)
		n := 0
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				n++
				checkExpr(t, "alert "+r.Alert, r.Expr, families)
				if r.Annotations["summary"] == "" {
					t.Errorf("alert %s has no summary", r.Alert)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s has no rule", rf)
		}
	}
}

// checkExpr fails t unless expr names at least one metric and every one is exported.
func checkExpr(t *testing.T, where, expr string, families map[string]*dto.MetricFamily) {
	t.Helper()
	names := metricNames(expr)
	if len(names) == 0 {
		t.Errorf("%s: %q names no metric", where, expr)
	}
	for _, n := range names {
		if !knownMetric(families, n) {
			t.Errorf("%s: %q names %s, which the integrator does not export", where, expr, n)
		}
	}
}

type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		UID       string `yaml:"uid"`
		Type      string `yaml:"type"`
		Access    string `yaml:"access"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
	} `yaml:"datasources"`
}

type grafanaProviders struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name            string `yaml:"name"`
		Folder          string `yaml:"folder"`
		Type            string `yaml:"type"`
		DisableDeletion bool   `yaml:"disableDeletion"`
		AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
		Options         struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

type grafanaDashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID         int               `json:"id"`
		Title      string            `json:"title"`
		Type       string            `json:"type"`
		Datasource grafanaDatasource `json:"datasource"`
		Targets    []struct {
			RefID      string            `json:"refId"`
			Expr       string            `json:"expr"`
			Datasource grafanaDatasource `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func checkGrafana(t *testing.T, c composeFile) {
	g := c.Services["grafana"]
	mounts := map[string]string{}
	for _, v := range g.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		dst, _, _ = strings.Cut(dst, ":")
		mounts[dst] = strings.TrimPrefix(src, "./")
	}
	if mounts["/etc/grafana/provisioning"] != "grafana/provisioning" {
		t.Fatalf("grafana does not mount deploy/grafana/provisioning: %q", g.Volumes)
	}
	var ds grafanaDatasources
	decodeStrict(t, "datasources/prometheus.yml", repoFile(t, "grafana/provisioning/datasources/prometheus.yml"), &ds)
	uids := map[string]bool{}
	for _, d := range ds.Datasources {
		u, err := url.Parse(d.URL)
		prom := c.Services["prometheus"]
		if err != nil || u.Hostname() != "prometheus" || !slices.ContainsFunc(prom.Ports, func(p string) bool { return containerPort(p) == u.Port() }) {
			t.Errorf("datasource %s url %s is not the prometheus service at its port", d.Name, d.URL)
		}
		uids[d.UID] = true
	}
	var pv grafanaProviders
	decodeStrict(t, "dashboards/peakready.yml", repoFile(t, "grafana/provisioning/dashboards/peakready.yml"), &pv)
	if len(pv.Providers) != 1 || mounts[pv.Providers[0].Options.Path] != "grafana/dashboards" {
		t.Fatalf("the dashboard provider's path is not the mounted deploy/grafana/dashboards")
	}
	home := g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if rel, ok := strings.CutPrefix(home, pv.Providers[0].Options.Path+"/"); !ok || len(repoFile(t, "grafana/dashboards/"+rel)) == 0 {
		t.Errorf("the home dashboard %s is not a provisioned file", home)
	}
	checkDashboard(t, uids)
}

// checkDashboard decodes the dashboard and checks every query against the integrator's
// metrics, and that it shows what an operator needs at peak.
func checkDashboard(t *testing.T, datasourceUIDs map[string]bool) {
	data := repoFile(t, "grafana/dashboards/peakready.json")
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("peakready.json is not JSON: %v", err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("peakready.json: %v", err)
	}
	_, families := liveIntegrator(t)
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if !datasourceUIDs[p.Datasource.UID] {
			t.Errorf("panel %q uses datasource %q, which is not provisioned", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr, families)
			for _, n := range metricNames(tg.Expr) {
				used[n] = true
			}
		}
	}
	for subject, metric := range map[string]string{
		"queue depth":        "peakready_queue_messages",
		"oldest message age": "peakready_queue_oldest_message_age_seconds",
		"ack latency":        "peakready_webhook_ack_seconds_bucket",
		"upstream calls":     "peakready_upstream_calls_total",
		"throttle waits":     "peakready_throttle_waits_total",
		"permits in use":     "peakready_concurrency_permits_in_use",
		"DLQ size":           "peakready_queue_dead_letters",
		"breaker state":      "peakready_breaker_state",
	} {
		if !used[metric] {
			t.Errorf("the dashboard does not show the %s (%s)", subject, metric)
		}
	}
	if d.UID != "peakready" {
		t.Errorf("dashboard uid %q: compose.yaml's comment and the docs open /d/peakready", d.UID)
	}
}
