package site_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/web/site"
)

// BenchmarkHomePage renders the home page including counting the view
// (one visitor lookup and one insert into SQLite).
func BenchmarkHomePage(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	hs, _ := newSite(b, db, nil)
	h := hs.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("User-Agent", browserUA)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkHomePageDNT is the same page for a browser sending DNT: no database write.
func BenchmarkHomePageDNT(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	hs, _ := newSite(b, db, nil)
	h := hs.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("User-Agent", browserUA)
		req.Header.Set("DNT", "1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}

func BenchmarkMarkdown(b *testing.B) {
	doc := "# Title\n\nSome **bold** text with a [link](https://example.com) and `code`.\n\n- one\n- two\n- three\n\n```\ncode block\n```\n"
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		_ = site.Markdown(doc)
	}
}
