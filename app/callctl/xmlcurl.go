package callctl

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/waihu/waihu/app/callctl/fsxml"
	"github.com/waihu/waihu/app/store"
)

// SofiaProfile is the sofia profile carrier gateways live on; dial strings
// are sofia/gateway/<GatewayName(id)>/<number>.
const SofiaProfile = "external"

// GatewayName is the sofia gateway name of a trunk.
func GatewayName(trunkID uint64) string { return "waihu_" + strconv.FormatUint(trunkID, 10) }

// XMLCurl answers one mod_xml_curl fetch: sofia.conf with a gateway per
// enabled trunk, directory user lookups with the agent's SIP seat
// (agentsip.go), and "not found" for every other section and file so that
// FreeSWITCH uses its static configuration for them.
func (s *Service) XMLCurl(ctx context.Context, form url.Values) ([]byte, error) {
	req := fsxml.ParseRequest(form)
	if user, domain, realm, ok := req.UserLookup(); ok {
		return s.directoryUser(ctx, user, domain, realm)
	}
	if !req.WantsSofia() {
		return fsxml.NotFound(), nil
	}
	var trunks []store.Trunk
	if err := s.db.With(store.AsPlatform(ctx)).Where("enabled = ? AND simulated = ?", true, false).Order("id").Find(&trunks).Error; err != nil {
		return nil, fmt.Errorf("load trunks for sofia.conf: %w", err)
	}
	gws := make([]fsxml.Gateway, 0, len(trunks))
	for _, t := range trunks {
		gws = append(gws, fsxml.Gateway{
			Name: GatewayName(t.ID), Profile: SofiaProfile, Proxy: t.Host,
			Username: t.Username, Password: t.Password, Register: t.Register,
			Transport: t.Transport, CallerIDInFrom: true, Codecs: t.Codecs,
		})
	}
	return fsxml.Sofia(fsxml.DefaultProfiles(), gws, req.Profile)
}
