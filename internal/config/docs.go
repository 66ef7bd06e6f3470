package config

import (
	"fmt"
	"strings"
)

// MarkdownTable renders the settings registry as the table in
// docs/configuration.md, so the documentation is generated from the code
// that parses the settings and cannot drift from it.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Secret | Meaning |\n|---|---|---|---|\n")
	for _, o := range options {
		def := "(empty)"
		if o.Default != "" {
			def = "`" + o.Default + "`"
		}
		secret := ""
		if o.Secret {
			secret = "yes, also `" + o.Name + "_FILE`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.Name, def, secret,
			strings.ReplaceAll(o.Doc, "|", "\\|"))
	}
	return b.String()
}

// EnvExample renders .env.example: every setting with its default, secrets
// left empty.
func EnvExample() string {
	var b strings.Builder
	b.WriteString("# Reelforge settings; see docs/configuration.md. Copy to .env and edit.\n" +
		"# Variables set in the environment override this file.\n")
	for _, o := range options {
		fmt.Fprintf(&b, "\n# %s\n", o.Doc)
		value := o.Default
		if o.Secret {
			value = ""
		}
		fmt.Fprintf(&b, "%s=%s\n", o.Name, value)
	}
	return b.String()
}
