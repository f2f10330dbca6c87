package deploy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peakready/peakready/scenarios"
)

// The CI templates are checked as files: valid YAML of the shape each CI system reads,
// and `peakready run` invoked with its real flags, writing the reports the jobs publish.

type githubWorkflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn         string            `yaml:"runs-on"`
		TimeoutMinutes int               `yaml:"timeout-minutes"`
		Permissions    map[string]string `yaml:"permissions"`
		Env            map[string]string `yaml:"env"`
		Steps          []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			Run  string            `yaml:"run"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

type gitlabJob struct {
	Stage     string            `yaml:"stage"`
	Image     string            `yaml:"image"`
	Timeout   string            `yaml:"timeout"`
	Variables map[string]string `yaml:"variables"`
	Cache     struct {
		Key   string   `yaml:"key"`
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
	Script    []string `yaml:"script"`
	Artifacts struct {
		When     string   `yaml:"when"`
		ExpireIn string   `yaml:"expire_in"`
		Paths    []string `yaml:"paths"`
		Reports  struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

// runArgs are the arguments after "peakready run" in a shell command: continuations
// joined, quotes dropped.
func runArgs(t *testing.T, shell, after string) []string {
	t.Helper()
	shell = strings.ReplaceAll(shell, "\\\n", " ")
	for _, line := range strings.Split(shell, "\n") {
		i := strings.Index(line, after)
		if i < 0 {
			continue
		}
		if j := strings.Index(line, "#"); j >= 0 && j < i {
			continue
		}
		fields := strings.Fields(strings.NewReplacer(`"`, "", `'`, "").Replace(line[i+len(after):]))
		if len(fields) < 2 || fields[0] != "run" {
			t.Fatalf("%q is not followed by run SCENARIO: %q", after, line)
		}
		return fields[1:]
	}
	t.Fatalf("no %q in %q", after, shell)
	return nil
}

// checkRun checks a `peakready run SCENARIO FLAGS` invocation and returns its report
// paths by flag.
func checkRun(t *testing.T, args []string, scenario string) map[string]string {
	t.Helper()
	if args[0] != "$SCENARIO" {
		t.Errorf("the job runs %q, not the SCENARIO variable", args[0])
	}
	if _, err := scenarios.Builtin(scenario); err != nil {
		t.Errorf("the default scenario %q is not a built-in: %v", scenario, err)
	}
	flags := flagValues(t, args[1:], subcommand(t, "run"))
	reports := map[string]string{}
	for _, f := range []string{"junit", "html", "json"} {
		v := first(flags[f])
		if !strings.HasPrefix(v, "reports/") {
			t.Errorf("--%s %q: the job publishes reports/", f, v)
		}
		reports[f] = v
	}
	return reports
}

func TestCITemplates(t *testing.T) {
	t.Parallel()
	t.Run("github actions", func(t *testing.T) {
		var w githubWorkflow
		decodeStrict(t, "ci/github-actions.yml", repoFile(t, "ci/github-actions.yml"), &w)
		job, ok := w.Jobs["peakready"]
		if !ok {
			t.Fatal("no job peakready")
		}
		if !strings.HasPrefix(job.Env["PEAKREADY_IMAGE"], "ghcr.io/peakready/peakready:") {
			t.Errorf("PEAKREADY_IMAGE %q is not the published image", job.Env["PEAKREADY_IMAGE"])
		}
		scenario := regexp.MustCompile(`'([^']+)'`).FindStringSubmatch(job.Env["SCENARIO"])
		if scenario == nil {
			t.Fatalf("SCENARIO %q has no default", job.Env["SCENARIO"])
		}
		var reports map[string]string
		var junitPaths, uploaded []string
		for _, s := range job.Steps {
			switch {
			case strings.Contains(s.Run, "$PEAKREADY_IMAGE"):
				if !strings.Contains(s.Run, `-v "$PWD/reports:`+workdir(t)+`/reports"`) {
					t.Errorf("reports/ is not mounted at the image's working directory %s/reports", workdir(t))
				}
				reports = checkRun(t, runArgs(t, s.Run, `"$PEAKREADY_IMAGE"`), scenario[1])
			case strings.HasPrefix(s.Uses, "mikepenz/action-junit-report@"):
				junitPaths = append(junitPaths, s.With["report_paths"].(string))
				if s.If == "" {
					t.Error("the JUnit report is published only when the run passed")
				}
			case strings.HasPrefix(s.Uses, "actions/upload-artifact@"):
				uploaded = append(uploaded, s.With["path"].(string))
				if s.If == "" {
					t.Error("the reports are uploaded only when the run passed")
				}
			}
		}
		if reports == nil {
			t.Fatal("no step runs the image")
		}
		if !slices.Equal(junitPaths, []string{reports["junit"]}) {
			t.Errorf("the JUnit check reads %q, the run writes %q", junitPaths, reports["junit"])
		}
		if !slices.Equal(uploaded, []string{"reports/"}) {
			t.Errorf("uploaded %q, want reports/", uploaded)
		}
	})
	t.Run("gitlab ci", func(t *testing.T) {
		var jobs map[string]gitlabJob
		decodeStrict(t, "ci/gitlab-ci.yml", repoFile(t, "ci/gitlab-ci.yml"), &jobs)
		job, ok := jobs["peakready-gate"]
		if !ok {
			t.Fatal("no job peakready-gate")
		}
		reports := checkRun(t, runArgs(t, strings.Join(job.Script, "\n"), "github.com/peakready/peakready/cmd/peakready@$PEAKREADY_VERSION"), job.Variables["SCENARIO"])
		if job.Artifacts.Reports.JUnit != reports["junit"] {
			t.Errorf("GitLab reads the JUnit report at %q, the run writes %q", job.Artifacts.Reports.JUnit, reports["junit"])
		}
		if job.Artifacts.When != "always" || !slices.Contains(job.Artifacts.Paths, "reports/") {
			t.Errorf("the reports must be kept when the gate fails too: %+v", job.Artifacts)
		}
	})
}

// workdir is the image's WORKDIR, from the Dockerfile.
func workdir(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^WORKDIR\s+(\S+)`).FindSubmatch(repoFile(t, "../Dockerfile"))
	if m == nil {
		t.Fatal("the Dockerfile has no WORKDIR")
	}
	return string(m[1])
}
