// Package fstrace reads the HTTP requests recorded from a real FreeSWITCH
// in freeswitch-traces/*.txt (framed by "##### request N | … | <n> bytes
// follow" and "##### end of request N" lines) for tests.
package fstrace

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
)

var header = regexp.MustCompile(`(?m)^##### request (\d+) \|.*\| (\d+) bytes follow\n`)

// Request is one recorded request with its raw bytes.
type Request struct {
	N    int
	Note string
	Raw  []byte
}

// ReadFile returns every request recorded in path.
func ReadFile(path string) ([]Request, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, m := range header.FindAllSubmatchIndex(data, -1) {
		n, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		size, _ := strconv.Atoi(string(data[m[4]:m[5]]))
		start := m[1]
		if start+size > len(data) {
			return nil, fmt.Errorf("%s: request %d: %d bytes announced, file too short", path, n, size)
		}
		out = append(out, Request{N: n, Note: string(data[m[0]:m[1]]), Raw: data[start : start+size]})
	}
	return out, nil
}

// HTTP parses the recorded bytes as an HTTP request.
func (r Request) HTTP() (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(bytes.NewReader(r.Raw)))
}
