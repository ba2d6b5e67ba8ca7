// Package web serves the tenant console and operator back office: the React single-page app
// built from web/ by Vite (npm run build writes it into ui/) and embedded into the binary.
//
// ui/ holds only a committed .keep until the UI is built, so the binary always compiles;
// without a build the handler answers 503 with a page that says how to build it.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed all:ui
var embedded embed.FS

// dist is the embedded build output with the "ui/" prefix removed.
var dist = mustSub(embedded, "ui")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		// fs.Sub fails only on an invalid name, which "ui" is not.
		panic(fmt.Sprintf("web: sub %s: %v", dir, err))
	}
	return sub
}

// Built reports whether the embedded UI was built (ui/index.html exists).
func Built() bool {
	return isBuilt(dist)
}

func isBuilt(fsys fs.FS) bool {
	st, err := fs.Stat(fsys, "index.html")
	return err == nil && !st.IsDir()
}

// SPAHandler serves the embedded UI. Mount it for GET and HEAD on /assets/*, /console,
// /console/*, /admin and /admin/*; other paths answer 404.
//
//   - /assets/* are Vite's content-hashed files: cached for a year as immutable, and a
//     missing file is a 404 (never index.html, which a browser would try to run as script).
//   - /console… and /admin… get index.html with Cache-Control: no-cache, so a deploy is
//     picked up on the next navigation; the client-side router takes it from there.
func SPAHandler() http.Handler {
	return newSPAHandler(dist)
}

type spaHandler struct {
	fsys  fs.FS
	index []byte // nil when the UI is not built
}

func newSPAHandler(fsys fs.FS) *spaHandler {
	h := &spaHandler{fsys: fsys}
	if isBuilt(fsys) {
		// The embedded files never change while the process runs, so index.html is read once.
		if b, err := fs.ReadFile(fsys, "index.html"); err == nil {
			h.index = b
		}
	}
	return h
}

const (
	assetsPrefix   = "/assets/"
	immutableCache = "public, max-age=31536000, immutable"
)

// isSPAPath reports whether p is a page of the app: a surface root or anything under it.
func isSPAPath(p string) bool {
	for _, root := range []string{"/console", "/admin"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

func (h *spaHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	isAsset := strings.HasPrefix(p, assetsPrefix)
	if !isAsset && !isSPAPath(p) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	if h.index == nil {
		serveNotBuilt(w, r)
		return
	}
	if isAsset {
		h.serveAsset(w, r)
		return
	}
	h.serveIndex(w, r)
}

func (h *spaHandler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Content-Length", fmt.Sprint(len(h.index)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.index)
	}
}

func (h *spaHandler) serveAsset(w http.ResponseWriter, r *http.Request) {
	// path.Clean resolves any "..", so the result must still be under assets/ to be served.
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if !strings.HasPrefix(name, "assets/") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, err := h.fsys.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "read asset", http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(b)
	}
	hdr := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	hdr.Set("Cache-Control", immutableCache)
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Embedded files have no modification time; ServeContent still handles HEAD and Range.
	http.ServeContent(w, r, name, st.ModTime(), content)
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>waihu: UI not built</title></head>
<body>
<main>
<h1>The waihu web UI has not been built</h1>
<p>This binary was compiled without the console and back office. Run <code>make ui</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>), then rebuild waihu.</p>
<p lang="zh-CN">控制台尚未构建：请先运行 <code>make ui</code>，再重新编译 waihu。</p>
</main>
</body>
</html>
`

func serveNotBuilt(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, notBuiltPage)
	}
}
