// Command failures passes a `go test -json` stream through as the text
// `go test -v` would print, and at its end repeats what each failed test
// said, without the harness's INFO log lines. In a verbose run a failed
// subtest's messages sit minutes of log above the line that says it failed;
// the summary puts them where a reader of the log's tail looks:
//
//	go test -json -tags e2e ./test/e2e/... | go run ./test/e2e/failures
//
// It exits 1 when a test or package failed, 0 otherwise. A line that is not
// a test2json event (a build error) is passed through as it is.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

func main() {
	failed, err := filter(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failures:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// filter copies in's events to out as text, then the summary; it reports
// whether anything failed.
func filter(in io.Reader, out io.Writer) (bool, error) {
	w := bufio.NewWriter(out)
	s := newSummary()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		text := s.add(sc.Bytes())
		if _, err := io.WriteString(w, text); err != nil {
			return false, err
		}
		// The stream is a live log: each event goes out as it comes.
		if err := w.Flush(); err != nil {
			return false, err
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	s.write(w)
	return s.failed(), w.Flush()
}
