package media

import "strings"

// escapeFilterValue makes s safe as an option value inside a filtergraph
// passed as one argument (no shell involved). FFmpeg parses such text twice:
// the option parser treats \ ' and : as special, then the graph parser
// treats \ ' [ ] , and ; as special, so s is escaped for the first level and
// the result again for the second.
func escapeFilterValue(s string) string {
	return escapeChars(escapeChars(s, `\':`), `\'[],;`)
}

func escapeChars(s, special string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// concatListLine returns one "file" line of a concat demuxer list. The path
// is single-quoted; a quote inside it closes the quoting, adds an escaped
// quote and reopens it, as the concat demuxer's tokenizer expects.
func concatListLine(path string) string {
	return "file '" + strings.ReplaceAll(path, "'", `'\''`) + "'\n"
}
