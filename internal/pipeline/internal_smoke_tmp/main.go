package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/reelforge/reelforge/internal/pipeline"
)

func main() {
	b, _ := os.ReadFile(os.Args[1])
	sb, err := pipeline.Parse(string(b), pipeline.ParseOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(sb, "", "  ")
	fmt.Println(string(out))
}
