// The differential oracle of bkdiag's YAML tests: for each file named on the command line it prints
// one line, "ok" or "error: <message>", saying how gopkg.in/yaml.v2 (the parser bkunifylogbeat's
// config loader reads its configs with) takes that file. With -string-keys first, a file that parses
// but holds a mapping key decoded as anything but a string (which the collector's config loader,
// go-ucfg, refuses) prints "error: non-string key <Go type>". With -convert, each file's value `v` is
// printed as go-ucfg converts it to a bool, an integer, a duration and a string (in hex). Built and run by
// Tests/HostProbeTests/GoYAMLDifferentialTests.swift against Debian's golang-gopkg-yaml.v2-dev;
// it is test code only and ships in no package.
package main

import (
	"encoding/hex"
	"fmt"
	"io/ioutil"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v2"
)

// The conversions go-ucfg v0.7.0 applies when it unpacks a decoded value into a bool, int64, uint64 or
// time.Duration field (its types.go to*/reify.go reifyDuration, restated for the decoded Go types), or
// a string field (toString: fmt's %t, %d and %v), as
// "bool:<v|err> int:<v|err> uint:<v|err> dur:<seconds|err> str:<hex>". nil is the zero value.
func convert(v interface{}) string {
	b, i, u, d := "err", "err", "err", "err"
	str := ""
	if v != nil {
		str = hex.EncodeToString([]byte(fmt.Sprintf("%v", v)))
	}
	switch t := v.(type) {
	case nil:
		b, i, u, d = "false", "0", "0", "0"
	case bool:
		b = strconv.FormatBool(t)
		if _, err := time.ParseDuration(strconv.FormatBool(t)); err == nil {
			d = "?"
		}
	case int:
		i = strconv.Itoa(t)
		if t >= 0 {
			u = strconv.Itoa(t)
		}
		d = strconv.FormatFloat(float64(t), 'g', -1, 64)
	case uint64:
		if t <= math.MaxInt64 {
			i = strconv.FormatUint(t, 10)
		}
		u = strconv.FormatUint(t, 10)
		d = strconv.FormatFloat(float64(t), 'g', -1, 64)
	case float64:
		if !(t < math.MinInt64 || math.MaxInt64 < t) {
			i = strconv.FormatInt(int64(t), 10)
		}
		if !(t < 0) && !(t > math.MaxUint64) {
			u = strconv.FormatUint(uint64(t), 10)
		}
		d = "float"
	case string:
		if x, err := strconv.ParseBool(t); err == nil {
			b = strconv.FormatBool(x)
		}
		if x, err := strconv.ParseInt(t, 0, 64); err == nil {
			i = strconv.FormatInt(x, 10)
		}
		if x, err := strconv.ParseUint(t, 0, 64); err == nil {
			u = strconv.FormatUint(x, 10)
		}
		if x, err := time.ParseDuration(t); err == nil {
			d = strconv.FormatFloat(x.Seconds(), 'g', -1, 64)
		}
	}
	return fmt.Sprintf("bool:%s int:%s uint:%s dur:%s str:%s", b, i, u, d, str)
}

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
	// -convert: each file is a map whose key "v" holds one value; print what go-ucfg converts it to.
	if len(args) > 0 && args[0] == "-convert" {
		for _, path := range args[1:] {
			data, _ := ioutil.ReadFile(path)
			var doc map[string]interface{}
			if err := yaml.Unmarshal(data, &doc); err != nil {
				fmt.Println("error")
				continue
			}
			switch doc["v"].(type) {
			case map[interface{}]interface{}, []interface{}:
				fmt.Println("bool:err int:err uint:err dur:err str:err")
			default:
				fmt.Println(convert(doc["v"]))
			}
		}
		return
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
