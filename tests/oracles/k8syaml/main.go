// Command k8syaml checks that a YAML stream, read the way kubectl reads it
// (split on "---" lines, each document through sigs.k8s.io/yaml YAMLToJSON),
// holds exactly the items of a JSON List. Usage: k8syaml STREAM.yaml LIST.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

func fail(code int, f string, a ...interface{}) { fmt.Printf(f+"\n", a...); os.Exit(code) }

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fail(2, "k8syaml: %v", err)
	}
	return b
}

// diff returns the first path (keys in sorted order) where y (read from YAML)
// and j (read from JSON) differ, or "" if they are equal.
func diff(p string, y, j interface{}) string {
	if reflect.DeepEqual(y, j) {
		return ""
	}
	ym, ok1 := y.(map[string]interface{})
	jm, ok2 := j.(map[string]interface{})
	ya, ok3 := y.([]interface{})
	ja, ok4 := j.([]interface{})
	var keys []string
	for k := range ym {
		keys = append(keys, k)
	}
	for k := range jm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i := 0; ok1 && ok2 && i < len(keys); i++ {
		if _, in := ym[keys[i]]; !in {
			return p + "." + keys[i] + ": absent in yaml"
		} else if _, in := jm[keys[i]]; !in {
			return p + "." + keys[i] + ": absent in json"
		} else if d := diff(p+"."+keys[i], ym[keys[i]], jm[keys[i]]); d != "" {
			return d
		}
	}
	for i := 0; ok3 && ok4 && len(ya) == len(ja) && i < len(ya); i++ {
		if d := diff(fmt.Sprintf("%s[%d]", p, i), ya[i], ja[i]); d != "" {
			return d
		}
	}
	yb, _ := json.Marshal(y)
	jb, _ := json.Marshal(j)
	return fmt.Sprintf("%s: yaml read %.80s, json has %.80s", p, yb, jb)
}

func main() {
	if len(os.Args) != 3 {
		fail(2, "usage: k8syaml STREAM.yaml LIST.json")
	}
	stream, listBytes := read(os.Args[1]), read(os.Args[2])
	var list struct {
		Items []interface{} `json:"items"`
	}
	if err := json.Unmarshal(listBytes, &list); err != nil {
		fail(1, "k8syaml: %s: %v", os.Args[2], err)
	}

	// Split like k8s.io/apimachinery's YAMLReader: a line starting with "---"
	// followed only by blanks or a comment ends a document.
	var docs []interface{}
	chunks, cur := []string{}, []string{}
	for _, line := range strings.Split(string(stream), "\n") {
		rest := strings.TrimSpace(strings.TrimPrefix(line, "---"))
		if strings.HasPrefix(line, "---") && (rest == "" || rest[0] == '#') {
			// Keep each line's line break, as kubectl's reader does: a block scalar that ends a
			// document must keep its final newline.
			chunks, cur = append(chunks, strings.Join(cur, "\n")+"\n"), nil
		} else {
			cur = append(cur, line)
		}
	}
	chunks = append(chunks, strings.Join(cur, "\n"))
	for i, c := range chunks {
		var v interface{}
		js, err := yaml.YAMLToJSON([]byte(c))
		if err == nil {
			err = json.Unmarshal(js, &v)
		}
		if err != nil {
			fail(1, "k8syaml: %s: YAML chunk %d: %v", os.Args[1], i, err)
		}
		if v != nil {
			docs = append(docs, v)
		}
	}

	bad := 0
	for i := 0; i < len(docs) && i < len(list.Items); i++ {
		if d := diff(fmt.Sprintf("items[%d]", i), docs[i], list.Items[i]); d != "" {
			m, _ := list.Items[i].(map[string]interface{})
			md, _ := m["metadata"].(map[string]interface{})
			fmt.Printf("k8syaml: document %d (%v/%v) differs: %s\n", i, m["kind"], md["name"], d)
			bad++
		}
	}
	if len(docs) != len(list.Items) {
		fail(1, "k8syaml: %s has %d documents, %s has %d items", os.Args[1], len(docs), os.Args[2], len(list.Items))
	}
	if bad > 0 {
		os.Exit(1)
	}
	fmt.Printf("k8syaml: OK: %d documents read by sigs.k8s.io/yaml match %s\n", len(docs), os.Args[2])
}
