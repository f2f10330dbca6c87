package deploy_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/scenarios"
)

// scaledObject mirrors the fields of KEDA's ScaledObject (keda.sh/v1alpha1) that the
// manifests use; importing KEDA's API would bring its whole dependency tree.
type scaledObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace,omitempty"`
		Labels    map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion,omitempty"`
			Kind       string `json:"kind,omitempty"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount,omitempty"`
		MaxReplicaCount *int32 `json:"maxReplicaCount,omitempty"`
		PollingInterval *int32 `json:"pollingInterval,omitempty"`
		CooldownPeriod  *int32 `json:"cooldownPeriod,omitempty"`
		Advanced        *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *struct {
					ScaleDown *struct {
						StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`
						Policies                   []struct {
							Type          string `json:"type"`
							Value         int32  `json:"value"`
							PeriodSeconds int32  `json:"periodSeconds"`
						} `json:"policies,omitempty"`
					} `json:"scaleDown,omitempty"`
				} `json:"behavior,omitempty"`
			} `json:"horizontalPodAutoscalerConfig,omitempty"`
		} `json:"advanced,omitempty"`
		Triggers []struct {
			Type       string            `json:"type"`
			Name       string            `json:"name,omitempty"`
			MetricType string            `json:"metricType,omitempty"`
			Metadata   map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// manifests are the objects of one rendering, decoded strictly into their API types.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	pdbs        map[string]*policyv1.PodDisruptionBudget
	jobs        map[string]*batchv1.Job
	scaled      map[string]*scaledObject
	namespaces  map[string]*corev1.Namespace
}

func decodeManifests(t *testing.T, where string, data []byte) *manifests {
	t.Helper()
	m := &manifests{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, pdbs: map[string]*policyv1.PodDisruptionBudget{}, jobs: map[string]*batchv1.Job{},
		scaled: map[string]*scaledObject{}, namespaces: map[string]*corev1.Namespace{}}
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 || isComment(doc) {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("%s, document %d: %v", where, i, err)
		}
		into := func(v any, store func()) {
			if err := yaml.UnmarshalStrict(doc, v); err != nil {
				t.Errorf("%s: %s %s: %v", where, head.Kind, head.Metadata.Name, err)
				return
			}
			store()
		}
		name := head.Metadata.Name
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			v := &appsv1.Deployment{}
			into(v, func() { m.deployments[name] = v })
		case "v1 Service":
			v := &corev1.Service{}
			into(v, func() { m.services[name] = v })
		case "v1 ConfigMap":
			v := &corev1.ConfigMap{}
			into(v, func() { m.configMaps[name] = v })
		case "v1 Secret":
			v := &corev1.Secret{}
			into(v, func() { m.secrets[name] = v })
		case "v1 Namespace":
			v := &corev1.Namespace{}
			into(v, func() { m.namespaces[name] = v })
		case "policy/v1 PodDisruptionBudget":
			v := &policyv1.PodDisruptionBudget{}
			into(v, func() { m.pdbs[name] = v })
		case "batch/v1 Job":
			v := &batchv1.Job{}
			into(v, func() { m.jobs[name] = v })
		case "keda.sh/v1alpha1 ScaledObject":
			v := &scaledObject{}
			into(v, func() { m.scaled[name] = v })
		default:
			t.Errorf("%s: %s %s of %s: no test knows this kind", where, head.Kind, name, head.APIVersion)
		}
	}
	return m
}

func isComment(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// render builds a kustomization with kustomize's library, as kubectl kustomize does.
func render(t *testing.T, dir string) []byte {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return out
}

// TestKubernetesFiles decodes every manifest and kustomization under k8s/ strictly.
func TestKubernetesFiles(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir("k8s", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case filepath.Base(path) == "kustomization.yaml":
			var k kustypes.Kustomization
			if err := yaml.UnmarshalStrict(data, &k); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		case filepath.Base(path) == "gate-scenario.yaml":
			if _, err := scenarios.Parse(path, bytes.NewReader(data)); err != nil {
				t.Errorf("%s is not a valid scenario: %v", path, err)
			}
		default:
			decodeManifests(t, path, data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKustomizeBase renders the base and checks its cross-references.
func TestKustomizeBase(t *testing.T) {
	t.Parallel()
	m := decodeManifests(t, "k8s/base (rendered)", render(t, "k8s/base"))
	checkManifests(t, m)
}

// TestKustomizeStaging renders the example overlay and checks its cross-references,
// the fakes and the gate Job.
func TestKustomizeStaging(t *testing.T) {
	t.Parallel()
	m := decodeManifests(t, "k8s/overlays/staging (rendered)", render(t, "k8s/overlays/staging"))
	checkManifests(t, m)
	for _, name := range []string{"fake-netsuite", "fake-shopify", "peakready-integrator"} {
		if m.deployments[name] == nil || m.services[name] == nil {
			t.Errorf("the staging overlay lacks the Deployment and Service %s", name)
		}
	}
	if len(m.namespaces) != 1 {
		t.Errorf("the staging overlay creates %d namespaces, want its own", len(m.namespaces))
	}
	// The integrator talks to the fakes through their Services.
	cm := configMapFor(t, m, m.deployments["peakready-integrator"].Spec.Template.Spec.Containers[0])
	for _, key := range []string{"PEAKREADY_NETSUITE_URL", "PEAKREADY_SHOPIFY_URL"} {
		checkServiceURL(t, m, key, cm[key])
	}
	// The fake Shopify delivers to the integrator's Service, signed with its secret.
	shop := m.deployments["fake-shopify"].Spec.Template.Spec.Containers[0]
	flags := flagValues(t, shop.Args[2:], nil)
	for _, hook := range flags["webhook"] {
		_, target, _ := strings.Cut(hook, "=")
		checkServiceURL(t, m, "--webhook", target)
	}
	if first(flags["webhook-secret"]) != "$(WEBHOOK_SECRET)" || !slices.ContainsFunc(shop.Env, func(e corev1.EnvVar) bool {
		return e.Name == "WEBHOOK_SECRET" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Key == "webhook-secret"
	}) {
		t.Errorf("the fake Shopify does not sign with the integrator's webhook-secret")
	}
	// The ScaledObject's queries are this namespace's.
	for _, tr := range m.scaled["peakready-integrator"].Spec.Triggers {
		if !strings.Contains(tr.Metadata["query"], `namespace="peakready-staging"`) {
			t.Errorf("trigger %s: query %q is not limited to the staging namespace", tr.Name, tr.Metadata["query"])
		}
	}
	checkGateJob(t, m)
}

// checkManifests runs the cross-reference checks on one rendering.
func checkManifests(t *testing.T, m *manifests) {
	t.Helper()
	mux, families := liveIntegrator(t)
	integrators := 0
	for name, d := range m.deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: its selector does not match its pod labels", name)
		}
		pod := d.Spec.Template.Spec
		checkPod(t, m, "Deployment "+name, pod)
		for _, c := range pod.Containers {
			if len(c.Args) > 0 && c.Args[0] == "integrator" {
				integrators++
				checkIntegratorContainer(t, m, mux, name, pod, c)
			}
		}
	}
	if integrators != 1 {
		t.Fatalf("%d Deployments run the integrator, want one", integrators)
	}
	in := m.deployments["peakready-integrator"]
	if in == nil {
		t.Fatal("no Deployment peakready-integrator")
	}

	for name, s := range m.services {
		var backends []*appsv1.Deployment
		for _, d := range m.deployments {
			if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
				backends = append(backends, d)
			}
		}
		if len(s.Spec.Selector) == 0 || len(backends) != 1 {
			t.Errorf("Service %s selects %d Deployments, want one", name, len(backends))
			continue
		}
		for _, p := range s.Spec.Ports {
			if !podHasPort(backends[0].Spec.Template.Spec, p.TargetPort) {
				t.Errorf("Service %s port %s targets %s, which no container of %s declares", name, p.Name, p.TargetPort.String(), backends[0].Name)
			}
		}
	}

	for name, p := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(in.Spec.Template.Labels)) {
			t.Errorf("PodDisruptionBudget %s does not select the integrator's pods", name)
		}
		if p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() < 1 {
			t.Errorf("PodDisruptionBudget %s lets a drain take every replica", name)
		}
	}
	if len(m.pdbs) != 1 {
		t.Errorf("%d PodDisruptionBudgets, want one for the integrator", len(m.pdbs))
	}

	so := m.scaled["peakready-integrator"]
	if so == nil {
		t.Fatal("no ScaledObject peakready-integrator")
	}
	if so.Spec.ScaleTargetRef.Name != in.Name {
		t.Errorf("the ScaledObject scales %q, not the integrator's Deployment", so.Spec.ScaleTargetRef.Name)
	}
	for _, p := range m.pdbs {
		if so.Spec.MinReplicaCount == nil || int(*so.Spec.MinReplicaCount) <= p.Spec.MinAvailable.IntValue() {
			t.Errorf("KEDA's minReplicaCount must exceed the PDB's minAvailable, or a drain blocks")
		}
	}
	if len(so.Spec.Triggers) == 0 {
		t.Error("the ScaledObject has no trigger")
	}
	used := map[string]bool{}
	for _, tr := range so.Spec.Triggers {
		if tr.Type != "prometheus" || tr.Metadata["serverAddress"] == "" || tr.Metadata["threshold"] == "" {
			t.Errorf("trigger %s: want a prometheus trigger with serverAddress and threshold: %+v", tr.Name, tr)
		}
		checkExpr(t, "ScaledObject trigger "+tr.Name, tr.Metadata["query"], families)
		for _, n := range metricNames(tr.Metadata["query"]) {
			used[n] = true
		}
	}
	if !used["peakready_queue_messages"] || !used["peakready_queue_oldest_message_age_seconds"] {
		t.Errorf("the ScaledObject must scale on queue depth and oldest message age; it uses %q", sortedKeys(used))
	}
}

// podHasPort reports whether a container of pod declares port (by name or number).
func podHasPort(pod corev1.PodSpec, port intstr.IntOrString) bool {
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		for _, p := range c.Ports {
			if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
				return true
			}
		}
	}
	return false
}

// checkPod checks what every peakready pod must have: the image's non-root user, a
// read-only root, resources, flags the command has, and references to objects that
// exist.
func checkPod(t *testing.T, m *manifests, where string, pod corev1.PodSpec) {
	t.Helper()
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
		t.Errorf("%s: runAsNonRoot with user 65532 (the image's USER) is not set", where)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
		if v.Secret != nil && m.secrets[v.Secret.SecretName] == nil && !strings.HasSuffix(v.Secret.SecretName, "-secrets") {
			t.Errorf("%s: volume %s: no Secret %s", where, v.Name, v.Secret.SecretName)
		}
		if v.ConfigMap != nil && m.configMaps[v.ConfigMap.Name] == nil {
			t.Errorf("%s: volume %s: no ConfigMap %s", where, v.Name, v.ConfigMap.Name)
		}
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		cw := where + " container " + c.Name
		if c.Image != "ghcr.io/peakready/peakready:latest" {
			t.Errorf("%s: image %q, want the published image set by the kustomization", cw, c.Image)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
			t.Errorf("%s: want cpu and memory requests, and a memory limit at least the request", cw)
		}
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
			c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
			t.Errorf("%s: want a read-only root and no privilege escalation", cw)
		}
		if len(c.Args) == 0 {
			t.Errorf("%s: no peakready command", cw)
			continue
		}
		switch c.Args[0] {
		case "fake":
			flagValues(t, c.Args[2:], subcommand(t, "fake", c.Args[1]))
		case "integrator":
			flagValues(t, c.Args[1:], subcommand(t, "integrator"))
		case "run":
			flagValues(t, c.Args[2:], subcommand(t, "run"))
		default:
			t.Errorf("%s: %q is not a peakready command these manifests use", cw, c.Args[0])
		}
		for _, vm := range c.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("%s mounts %s, which is not a volume of the pod", cw, vm.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if s := m.secrets[ref.Name]; s != nil {
				if _, ok := s.Data[ref.Key]; !ok {
					t.Errorf("%s: %s refers to key %s, which Secret %s lacks", cw, e.Name, ref.Key, ref.Name)
				}
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && m.configMaps[ef.ConfigMapRef.Name] == nil {
				t.Errorf("%s: envFrom ConfigMap %s does not exist", cw, ef.ConfigMapRef.Name)
			}
		}
	}
}

// configMapFor merges the ConfigMaps a container takes its environment from.
func configMapFor(t *testing.T, m *manifests, c corev1.Container) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && m.configMaps[ef.ConfigMapRef.Name] != nil {
			for k, v := range m.configMaps[ef.ConfigMapRef.Name].Data {
				out[k] = v
			}
		}
	}
	return out
}

// checkServiceURL fails unless u is http://SERVICE:PORT/... of a Service in m.
func checkServiceURL(t *testing.T, m *manifests, what, u string) {
	t.Helper()
	host, rest, _ := strings.Cut(strings.TrimPrefix(u, "http://"), "/")
	name, port, _ := strings.Cut(host, ":")
	s := m.services[name]
	if s == nil || !slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == port }) {
		t.Errorf("%s %q is not a Service of the overlay at one of its ports", what, u)
	}
	_ = rest
}

// checkIntegratorContainer checks the integrator's probes against its routes, its
// environment against the settings it reads, its secrets' files against their mounts,
// and its grace period against the time a shutdown can take.
func checkIntegratorContainer(t *testing.T, m *manifests, mux http.Handler, name string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	where := "Deployment " + name
	for probeName, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", where, probeName)
			continue
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p.HTTPGet.Path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %s probe GET %s answers %d on a healthy integrator", where, probeName, p.HTTPGet.Path, rec.Code)
		}
		if !podHasPort(pod, p.HTTPGet.Port) {
			t.Errorf("%s: %s probe port %s is not a container port", where, probeName, p.HTTPGet.Port.String())
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("%s: readiness must be /readyz, which fails while Redis does not answer", where)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = vm
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	for _, e := range c.Env {
		if !integratorEnvOK(t, e.Name) {
			t.Errorf("%s: %s is not a variable the integrator reads", where, e.Name)
		}
		if !strings.HasSuffix(e.Name, "_FILE") {
			continue
		}
		dir, key := filepath.Dir(e.Value), filepath.Base(e.Value)
		vm, ok := mounts[dir]
		if !ok || volumes[vm.Name].Secret == nil {
			t.Errorf("%s: %s=%s is not in a mounted Secret", where, e.Name, e.Value)
			continue
		}
		if s := m.secrets[volumes[vm.Name].Secret.SecretName]; s != nil {
			if _, ok := s.Data[key]; !ok {
				t.Errorf("%s: %s reads key %s, which Secret %s lacks", where, e.Name, key, s.Name)
			}
		}
	}
	for k := range configMapFor(t, m, c) {
		if !integratorEnvOK(t, k) {
			t.Errorf("%s: ConfigMap key %s is not a variable the integrator reads", where, k)
		}
	}
	var preStop int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	need := time.Duration(preStop)*time.Second + integrator.DefaultShutdownTimeout + netsuite.DefaultTimeout
	if pod.TerminationGracePeriodSeconds == nil || time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second <= need {
		t.Errorf("%s: terminationGracePeriodSeconds must exceed preStop + shutdown timeout + the longest NetSuite call (%s)", where, need)
	}
}

// checkGateJob checks the launch-gate Job: its scenario is valid and is the file it
// runs, and the integrator beside it is the one the scenario drives.
func checkGateJob(t *testing.T, m *manifests) {
	t.Helper()
	job := m.jobs["peakready-gate"]
	if job == nil {
		t.Fatal("the staging overlay has no Job peakready-gate")
	}
	pod := job.Spec.Template.Spec
	checkPod(t, m, "Job peakready-gate", pod)
	if len(pod.InitContainers) != 1 || pod.InitContainers[0].RestartPolicy == nil || *pod.InitContainers[0].RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Fatal("the gate's integrator must be a native sidecar (an init container with restartPolicy Always)")
	}
	sidecar := pod.InitContainers[0]
	mux, _ := liveIntegrator(t)
	checkIntegratorEnv(t, sidecar)
	if sidecar.StartupProbe == nil || sidecar.StartupProbe.HTTPGet == nil {
		t.Error("the gate's integrator needs a startup probe, so the runner starts after it")
	} else {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, sidecar.StartupProbe.HTTPGet.Path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("startup probe %s answers %d", sidecar.StartupProbe.HTTPGet.Path, rec.Code)
		}
	}
	gate := pod.Containers[0]
	if len(gate.Args) < 2 || gate.Args[0] != "run" {
		t.Fatalf("the gate runs %q, want peakready run FILE", gate.Args)
	}
	var sc *scenarios.Scenario
	for _, vm := range gate.VolumeMounts {
		rel, ok := strings.CutPrefix(gate.Args[1], vm.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				data, ok := m.configMaps[v.ConfigMap.Name].Data[rel]
				if !ok {
					t.Fatalf("ConfigMap %s has no %s", v.ConfigMap.Name, rel)
				}
				var err error
				if sc, err = scenarios.Parse(rel, strings.NewReader(data)); err != nil {
					t.Fatalf("the gate's scenario: %v", err)
				}
			}
		}
	}
	if sc == nil || sc.SUT.External == nil || sc.SUT.External.Admin == nil {
		t.Fatalf("the gate runs %s, which is not a mounted scenario with sut.external and its admin API", gate.Args[1])
	}
	x := sc.SUT.External
	flags := flagValues(t, sidecar.Args[1:], nil)
	listen := first(flags["addr"])
	for _, u := range []string{x.WebhookURL, x.Admin.URL} {
		if !strings.HasPrefix(u, "http://"+listen) {
			t.Errorf("the scenario reaches %s, but the integrator beside it listens on %s", u, listen)
		}
	}
	env := map[string]string{}
	for _, e := range sidecar.Env {
		env[e.Name] = e.Value
	}
	for key, addr := range map[string]string{"PEAKREADY_NETSUITE_URL": sc.Fakes.NetSuite.Addr, "PEAKREADY_SHOPIFY_URL": sc.Fakes.Shopify.Addr} {
		if env[key] != "http://"+addr {
			t.Errorf("the gate's integrator has %s=%q, but the runner's fake listens on %s", key, env[key], addr)
		}
	}
	if env["PEAKREADY_PREFIX"] == "" || env["PEAKREADY_PREFIX"] == configMapFor(t, m, sidecar)["PEAKREADY_PREFIX"] {
		t.Error("the gate's integrator must use its own key prefix, apart from the Deployment's queue")
	}
	for _, name := range []string{x.SecretEnv, x.Admin.TokenEnv} {
		if !slices.ContainsFunc(gate.Env, func(e corev1.EnvVar) bool {
			return e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
		}) {
			t.Errorf("the runner's %s does not come from the Secret", name)
		}
	}
}

func checkIntegratorEnv(t *testing.T, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		if !integratorEnvOK(t, e.Name) {
			t.Errorf("container %s: %s is not a variable the integrator reads", c.Name, e.Name)
		}
	}
}
