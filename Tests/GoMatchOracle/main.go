// The differential oracle of bkdiag's matching tests: Go's own regexp package, which
// bkunifylogbeat's exclude_files go through (compiled, then MatchString on each full path), and Go's
// path/filepath.Match, which its log paths are globbed with, one path element at a time. Usage:
// oracle regexp|glob CASES.json. It reads a JSON list of cases, each {"pattern": ..., "texts": [...]},
// and prints one JSON list: per case {"error": "..."} when Go refuses the pattern, else
// {"matches": [true, false, ...]}. Built and run by Tests/HostProbeTests/GoMatchDifferentialTests.swift;
// test code only, shipped in no package.
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"regexp"
)

type input struct {
	Pattern string   `json:"pattern"`
	Texts   []string `json:"texts"`
}

type output struct {
	Error   string `json:"error,omitempty"`
	Matches []bool `json:"matches"`
}

func main() {
	mode := os.Args[1]
	data, err := ioutil.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []input
	if err := json.Unmarshal(data, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := make([]output, 0, len(cases))
	for _, c := range cases {
		if mode == "glob" {
			// filepath.Match reports a bad pattern on any text; the empty one is asked first.
			if _, err := filepath.Match(c.Pattern, ""); err != nil {
				out = append(out, output{Error: err.Error(), Matches: []bool{}})
				continue
			}
			m := make([]bool, 0, len(c.Texts))
			for _, t := range c.Texts {
				ok, _ := filepath.Match(c.Pattern, t)
				m = append(m, ok)
			}
			out = append(out, output{Matches: m})
			continue
		}
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			out = append(out, output{Error: err.Error(), Matches: []bool{}})
			continue
		}
		m := make([]bool, 0, len(c.Texts))
		for _, t := range c.Texts {
			m = append(m, re.MatchString(t))
		}
		out = append(out, output{Matches: m})
	}
	enc, _ := json.Marshal(out)
	fmt.Println(string(enc))
}
