// The differential oracle of bkdiag's YAML tests: for each file named on the command line it prints
// one line, "ok" or "error: <message>", saying how gopkg.in/yaml.v2 (the parser bkunifylogbeat's
// config loader reads its configs with) takes that file. With -string-keys first, a file that parses
// but holds a mapping key decoded as anything but a string (which the collector's config loader,
// go-ucfg, refuses) prints "error: non-string key <Go type>". Built and run by
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

// The Go type of the first mapping key in v that is not a string, or "".
func nonStringKey(v interface{}) string {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		for k, x := range t {
			if _, ok := k.(string); !ok {
				return fmt.Sprintf("%T", k)
			}
			if s := nonStringKey(x); s != "" {
				return s
			}
		}
	case []interface{}:
		for _, x := range t {
			if s := nonStringKey(x); s != "" {
				return s
			}
		}
	}
	return ""
}

func main() {
	args := os.Args[1:]
	stringKeys := len(args) > 0 && args[0] == "-string-keys"
	if stringKeys {
		args = args[1:]
	}
	for _, path := range args {
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
		if stringKeys {
			if k := nonStringKey(doc); k != "" {
				fmt.Printf("error: non-string key %s\n", k)
				continue
			}
		}
		fmt.Println("ok")
	}
}
