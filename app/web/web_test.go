package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const testIndex = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		".keep":                      {Data: nil},
		"index.html":                 {Data: []byte(testIndex)},
		"assets/index-abc123.js":     {Data: []byte(`console.log("waihu")`)},
		"assets/index-def456.css":    {Data: []byte(`body{margin:0}`)},
		"assets/AdminApp-0a1b2c3.js": {Data: []byte(`export default 1`)},
	}
}

func notBuiltFS() fstest.MapFS {
	return fstest.MapFS{".keep": {Data: nil}}
}

func do(h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSPAHandlerBuilt(t *testing.T) {
	h := newSPAHandler(builtFS())
	if !isBuilt(builtFS()) {
		t.Fatal("isBuilt = false for a filesystem with index.html")
	}

	tests := []struct {
		name        string
		method      string
		target      string
		header      map[string]string
		status      int
		contentType string // prefix
		cache       string
		body        string // exact; "" means not checked unless wantEmpty
		wantEmpty   bool
	}{
		{name: "console root", method: "GET", target: "/console", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "console trailing slash", method: "GET", target: "/console/", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "console deep link", method: "GET", target: "/console/settings/api-keys?x=1", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "admin root", method: "GET", target: "/admin", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "admin deep link", method: "GET", target: "/admin/tenants", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "login page", method: "GET", target: "/console/login?next=%2Fconsole", status: 200, contentType: "text/html", cache: "no-cache", body: testIndex},
		{name: "head index", method: "HEAD", target: "/admin/login", status: 200, contentType: "text/html", cache: "no-cache", wantEmpty: true},
		{name: "script asset", method: "GET", target: "/assets/index-abc123.js", status: 200, contentType: "text/javascript", cache: immutableCache, body: `console.log("waihu")`},
		{name: "css asset", method: "GET", target: "/assets/index-def456.css", status: 200, contentType: "text/css", cache: immutableCache, body: `body{margin:0}`},
		{name: "head asset", method: "HEAD", target: "/assets/index-abc123.js", status: 200, contentType: "text/javascript", cache: immutableCache, wantEmpty: true},
		{name: "asset range", method: "GET", target: "/assets/index-abc123.js", header: map[string]string{"Range": "bytes=0-6"}, status: 206, cache: immutableCache, body: `console`},
		{name: "missing asset is 404, not index.html", method: "GET", target: "/assets/index-gone.js", status: 404},
		{name: "assets dir", method: "GET", target: "/assets/", status: 404},
		{name: "traversal out of assets", method: "GET", target: "/assets/../index.html", status: 404},
		{name: "dot-dot inside assets", method: "GET", target: "/assets/x/../index-abc123.js", status: 200, body: `console.log("waihu")`},
		{name: "not a surface", method: "GET", target: "/consoles", status: 404},
		{name: "public site is not ours", method: "GET", target: "/", status: 404},
		{name: "api is not ours", method: "GET", target: "/api/v1/auth/me", status: 404},
		{name: "post to page", method: "POST", target: "/console", status: 405},
		{name: "delete asset", method: "DELETE", target: "/assets/index-abc123.js", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, tt.method, tt.target, tt.header)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.status, rec.Body.String())
			}
			if tt.contentType != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.contentType) {
				t.Errorf("Content-Type = %q, want prefix %q", rec.Header().Get("Content-Type"), tt.contentType)
			}
			if tt.cache != "" && rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tt.cache)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("body = %q, want %q", rec.Body.String(), tt.body)
			}
			if tt.wantEmpty && rec.Body.Len() != 0 {
				t.Errorf("HEAD body has %d bytes", rec.Body.Len())
			}
			if tt.status == 404 && strings.Contains(rec.Body.String(), "<div id=\"root\">") {
				t.Error("a 404 must not carry index.html")
			}
			if tt.status == 200 && rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("missing X-Content-Type-Options: nosniff")
			}
		})
	}
}

func TestSPAHandlerNotBuilt(t *testing.T) {
	fsys := notBuiltFS()
	if isBuilt(fsys) {
		t.Fatal("isBuilt = true without index.html")
	}
	h := newSPAHandler(fsys)
	for _, target := range []string{"/console", "/console/login", "/admin", "/admin/tenants", "/assets/index-abc123.js"} {
		t.Run(target, func(t *testing.T) {
			rec := do(h, "GET", target, nil)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status = %d, want 503", rec.Code)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store (a later build must show at once)", rec.Header().Get("Cache-Control"))
			}
			if !strings.Contains(rec.Body.String(), "make ui") {
				t.Errorf("body does not say to run make ui: %q", rec.Body.String())
			}
		})
	}
	if rec := do(h, "GET", "/elsewhere", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/elsewhere: status = %d, want 404", rec.Code)
	}
	if rec := do(h, "HEAD", "/console", nil); rec.Code != http.StatusServiceUnavailable || rec.Body.Len() != 0 {
		t.Errorf("HEAD /console: status %d, %d body bytes", rec.Code, rec.Body.Len())
	}
}

// The real embedded filesystem: whichever state this checkout is in (UI built or not),
// Built and SPAHandler must agree.
func TestEmbeddedAgreesWithBuilt(t *testing.T) {
	rec := do(SPAHandler(), "GET", "/console", nil)
	want := http.StatusServiceUnavailable
	if Built() {
		want = http.StatusOK
	}
	if rec.Code != want {
		t.Fatalf("Built() = %v but GET /console answered %d", Built(), rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	if Built() && !strings.Contains(string(body), `id="root"`) {
		t.Errorf("built index.html lacks the root element: %q", body)
	}
}
