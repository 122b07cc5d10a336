// The differential oracle of bkdiag's exclude_files tests: Go's own regexp package, which
// bkunifylogbeat's exclude_files go through (compiled, then MatchString on each full path). It reads a
// JSON list of cases from the file named on the command line, each {"pattern": ..., "texts": [...]},
// and prints one JSON list: per case {"error": "..."} when regexp.Compile refuses the pattern, else
// {"matches": [true, false, ...]}. Built and run by Tests/HostProbeTests/GoRegexDifferentialTests.swift;
// test code only, shipped in no package.
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
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
	data, err := ioutil.ReadFile(os.Args[1])
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
