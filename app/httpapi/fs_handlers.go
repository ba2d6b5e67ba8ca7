package httpapi

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
)

// registerFS adds the endpoints FreeSWITCH itself calls: mod_xml_curl's
// configuration fetches and mod_xml_cdr's CDR posts. Both sit behind the
// FreeSWITCH shared secret (HTTP basic auth: xml_curl's
// gateway-credentials, xml_cdr's cred) and the address allow-list.
func (s *Server) registerFS() {
	if s.deps.CallControl == nil {
		return
	}
	s.add(Route{Method: http.MethodPost, Path: "/fs/xml_curl", Tag: "freeswitch", Auth: AuthFS,
		Summary: "mod_xml_curl: sofia.conf with one gateway per SIP trunk; \"not found\" for everything else",
		Handler: s.fsXMLCurl})
	s.add(Route{Method: http.MethodPost, Path: "/fs/cdr", Tag: "freeswitch", Auth: AuthFS,
		Summary: "mod_xml_cdr: store a CDR once per channel UUID (a repeated post changes nothing)",
		Handler: s.fsCDR})
	if s.deps.Prompts != nil {
		h := http.StripPrefix(apiBase+"/fs/prompts", s.deps.Prompts)
		s.add(Route{Method: http.MethodGet, Path: "/fs/prompts/:file", Tag: "freeswitch", Auth: AuthFS,
			Summary: "A synthesized or uploaded prompt (content-addressed WAV) for mod_http_cache",
			Handler: gin.WrapH(h)})
	}
}

type cdrAck struct {
	UUID    string `json:"uuid"`
	Created bool   `json:"created"`
}

func (s *Server) fsXMLCurl(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		fail(c, &apperr.ValidationError{Fields: map[string]string{"body": "not form-encoded"}})
		return
	}
	doc, err := s.deps.CallControl.XMLCurl(c.Request.Context(), c.Request.PostForm)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "text/xml; charset=utf-8", doc)
}

func (s *Server) fsCDR(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		fail(c, err)
		return
	}
	cdr, err := callctl.ParseXMLCDRForm(body)
	if err != nil {
		// mod_xml_cdr retries any non-200 and then spools the CDR to its
		// err-log-dir, where an operator can re-post it after a fix.
		fail(c, err)
		return
	}
	created, err := s.deps.CallControl.IngestCDR(c.Request.Context(), cdr)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cdrAck{UUID: cdr.UUID, Created: created})
}
