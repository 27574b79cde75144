package iperf3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// KeyPaths lists every object key of the JSON document b as a path
// ("end.streams[0].sender.bytes"), in document order, each path once (the
// first occurrence, so 3.12's repeated sock_bufsize keys count once). Tests
// use it to check that a document has iperf3's shape, whatever its values.
func KeyPaths(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var paths []string
	seen := map[string]bool{}
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				p := k.(string)
				if prefix != "" {
					p = prefix + "." + p
				}
				if !seen[p] {
					seen[p] = true
					paths = append(paths, p)
				}
				if err := walk(p); err != nil {
					return err
				}
			}
			_, err = dec.Token() // '}'
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(prefix + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ']'
		}
		return err
	}
	if err := walk(""); err != nil && err != io.EOF {
		return nil, fmt.Errorf("key paths: %w", err)
	}
	return paths, nil
}
