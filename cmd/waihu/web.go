package main

import (
	"net/http"

	"github.com/waihu/waihu/app/web"
)

// spaHandler serves the built console and back office; publicHandler the
// public website. Both come from app/web.
func spaHandler() http.Handler    { return web.SPAHandler() }
func publicHandler() http.Handler { return nil }
