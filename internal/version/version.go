// Package version reports the build's version, set at link time with
// -ldflags "-X github.com/reelforge/reelforge/internal/version.Version=v1.2.3"
// or read from the module's build information.
package version

import "runtime/debug"

// Version is the release name; "dev" for builds from a work tree.
var Version = "dev"

// String returns the version with the VCS revision when it is known.
func String() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	v := Version
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return v + " (" + s.Value[:12] + ")"
		}
	}
	return v
}
