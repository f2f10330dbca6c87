package containertest

import (
	"os"
	"runtime/debug"
	"strings"
)

// EnvImage names the image every container of this package runs when no WithImage
// option is given.
const EnvImage = "PEAKREADY_IMAGE"

// Repository is where peakready's image is published.
const Repository = "ghcr.io/peakready/peakready"

// modulePath is this module, looked up in the test binary's build information.
const modulePath = "github.com/peakready/peakready"

// Image is the image a container runs without WithImage: PEAKREADY_IMAGE, else
// DefaultImage.
func Image() string {
	if img := os.Getenv(EnvImage); img != "" {
		return img
	}
	return DefaultImage()
}

// DefaultImage is the published image of the peakready version the test binary was
// built with: Repository:vX.Y.Z when this module is a released dependency, else
// Repository:latest (a pseudo-version, a replace directive, or peakready's own tests).
func DefaultImage() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Repository + ":latest"
	}
	return Repository + ":" + imageTag(info)
}

// imageTag is the tag matching this module's version in info.
func imageTag(info *debug.BuildInfo) string {
	for _, m := range info.Deps {
		if m.Path != modulePath {
			continue
		}
		if m.Replace != nil || !released(m.Version) {
			return "latest"
		}
		return m.Version
	}
	return "latest"
}

// released reports whether v is a release version (v1.2.3, v1.2.3-rc.1), not a
// pseudo-version (v0.0.0-20261127090000-abcdef123456) nor (devel).
func released(v string) bool {
	if !strings.HasPrefix(v, "v") || strings.HasSuffix(v, "+incompatible") {
		return false
	}
	// A pseudo-version's last part is a 12-hex commit after a 14-digit timestamp.
	parts := strings.Split(v, "-")
	if len(parts) >= 3 {
		ts := parts[len(parts)-2]
		if i := strings.LastIndex(ts, "."); i >= 0 {
			ts = ts[i+1:]
		}
		if len(ts) == 14 && len(parts[len(parts)-1]) == 12 {
			return false
		}
	}
	return true
}
