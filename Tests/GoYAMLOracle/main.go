// The differential oracle of bkdiag's YAML tests: for each file named on the command line it prints
// one line, "ok" or "error: <message>", saying how gopkg.in/yaml.v2 (the parser bkunifylogbeat's
// config loader reads its configs with) takes that file. Built and run by
// Tests/HostProbeTests/GoYAMLDifferentialTests.swift against Debian's golang-gopkg-yaml.v2-dev;
// it is test code only and ships in no package.
package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"strings"

	"gopkg.in/yaml.v2"
)

func main() {
	for _, path := range os.Args[1:] {
		data, err := ioutil.ReadFile(path)
		if err != nil {
			fmt.Printf("error: cannot read %s: %v\n", path, err)
			continue
		}
		var doc interface{}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			fmt.Printf("error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Println("ok")
	}
}
