package ttscache

import (
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// Handler serves cached prompts: GET/HEAD <prefix>/<hash>.wav. Content is
// immutable per name (the name is its key's hash), so the ETag is the hash
// and caches may keep it for a year; mod_http_cache revalidates with
// If-None-Match. Nothing from the request reaches the filesystem except a
// validated 32-hex name.
func (c *Cache) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h, ok := ParseFile(path.Base(r.URL.Path))
		if !ok || strings.Contains(r.URL.Path, "..") {
			http.NotFound(w, r)
			return
		}
		e, ok := c.Stat(h)
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := `"` + h + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("Content-Type", "audio/wav")
		if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == "*" || strings.Contains(inm, etag)) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		f, err := os.Open(e.Path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, "read failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
		// ServeContent handles Range (FreeSWITCH may seek) and HEAD.
		http.ServeContent(w, r, "", fi.ModTime(), f)
	})
}

// URL returns the address FreeSWITCH plays, e.g.
// http_cache://http://waihu:8080/fs/prompts/<hash>.wav when base is the
// handler's mount point with the http_cache:// scheme prefix.
func URL(base, hash string) string {
	return strings.TrimRight(base, "/") + "/" + hash + ".wav"
}
