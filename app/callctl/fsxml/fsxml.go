// Package fsxml answers FreeSWITCH's mod_xml_curl requests: it renders the
// sofia.conf configuration (profiles and one gateway per SIP trunk) that
// FreeSWITCH asks for at start-up and on `sofia profile … rescan`, and the
// "not found" document for everything waihu does not own, which makes
// FreeSWITCH fall back to its static XML (mod_xml_curl.c treats a result
// status of "not found" as a miss, see freeswitch-traces/xml-curl-requests.txt).
package fsxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Request is a mod_xml_curl fetch. FreeSWITCH posts it form-encoded:
// hostname, section, tag_name, key_name, key_value, then the request's
// event headers (for sofia.conf: Event-Calling-Function and, from
// launch_sofia_worker_thread, profile=<name>).
type Request struct {
	Hostname string
	Section  string // configuration | directory | dialplan | phrases
	TagName  string
	KeyName  string
	KeyValue string // e.g. sofia.conf
	Profile  string // set when one profile is (re)loaded
	Function string // Event-Calling-Function
	// Directory lookups (directory.go).
	Purpose   string // gateways | network-list | … (no user looked up)
	Action    string // sip_auth | user_call | …
	User      string
	Domain    string
	AuthUser  string // sip_auth_username
	AuthRealm string // sip_auth_realm
}

// ParseRequest reads the form FreeSWITCH posted.
func ParseRequest(form url.Values) Request {
	return Request{
		Hostname: form.Get("hostname"),
		Section:  form.Get("section"),
		TagName:  form.Get("tag_name"),
		KeyName:  form.Get("key_name"),
		KeyValue: form.Get("key_value"),
		Profile:  form.Get("profile"),
		Function: form.Get("Event-Calling-Function"),
		Purpose:  form.Get("purpose"), Action: form.Get("action"),
		User: form.Get("user"), Domain: form.Get("domain"),
		AuthUser: form.Get("sip_auth_username"), AuthRealm: form.Get("sip_auth_realm"),
	}
}

// WantsSofia reports whether the request asks for sofia.conf.
func (r Request) WantsSofia() bool {
	return r.Section == "configuration" && r.KeyValue == "sofia.conf"
}

// Profile is a sofia SIP profile. waihu renders two: "external" faces the
// carriers (gateways live there) and "internal" faces agents' phones.
// Params are sofia profile params (sip-port, rtp-ip, ext-rtp-ip…), kept as
// a map so a telecom engineer can set any param FreeSWITCH knows without a
// code change; the defaults mirror freeswitch-conf/sip_profiles.
type Profile struct {
	Name   string
	Params map[string]string
}

// Gateway is one carrier trunk as sofia sees it.
type Gateway struct {
	Name      string // waihu_<trunk id>
	Profile   string
	Proxy     string // host[:port]
	Realm     string
	Username  string
	Password  string
	Register  bool
	Transport string // udp | tcp | tls
	// Expire seconds between registrations when Register is set.
	Expire int
	// CallerIDInFrom puts the presented caller ID in the From header, which
	// Chinese carriers read instead of P-Asserted-Identity.
	CallerIDInFrom bool
	// Codecs are set on the channel (absolute_codec_string) at originate;
	// sofia gateways have no codec param, so they are not rendered here.
	Codecs string
}

// DefaultProfiles are the two profiles of freeswitch-conf/sip_profiles,
// param for param (a test compares them), so FreeSWITCH runs the same
// profiles whether its sofia.conf came from waihu or from the static file.
func DefaultProfiles() []Profile {
	return []Profile{
		{Name: "external", Params: map[string]string{
			"debug":                     "0",
			"sip-trace":                 "no",
			"sip-port":                  "$${external_sip_port}",
			"sip-ip":                    "$${local_ip_v4}",
			"rtp-ip":                    "$${local_ip_v4}",
			"ext-sip-ip":                "$${external_sip_ip}",
			"ext-rtp-ip":                "$${external_rtp_ip}",
			"dialplan":                  "XML",
			"context":                   "public",
			"inbound-codec-prefs":       "$${carrier_codec_prefs}",
			"outbound-codec-prefs":      "$${carrier_codec_prefs}",
			"inbound-codec-negotiation": "generous",
			"inbound-late-negotiation":  "true",
			"dtmf-type":                 "rfc2833",
			"rfc2833-pt":                "101",
			"dtmf-duration":             "2000",
			"rtp-timer-name":            "soft",
			"local-network-acl":         "localnet.auto",
			"apply-inbound-acl":         "carriers",
			"auth-calls":                "false",
			"manage-presence":           "false",
			"nonce-ttl":                 "60",
			"rtp-timeout-sec":           "300",
			"rtp-hold-timeout-sec":      "1800",
		}},
		{Name: "internal", Params: map[string]string{
			"debug":                     "0",
			"sip-trace":                 "no",
			"sip-port":                  "$${internal_sip_port}",
			"sip-ip":                    "$${local_ip_v4}",
			"rtp-ip":                    "$${local_ip_v4}",
			"ext-sip-ip":                "$${external_sip_ip}",
			"ext-rtp-ip":                "$${external_rtp_ip}",
			"dialplan":                  "XML",
			"context":                   "agents",
			"inbound-codec-prefs":       "$${agent_codec_prefs}",
			"outbound-codec-prefs":      "$${agent_codec_prefs}",
			"dtmf-type":                 "rfc2833",
			"rfc2833-pt":                "101",
			"rtp-timer-name":            "soft",
			"local-network-acl":         "localnet.auto",
			"auth-calls":                "true",
			"challenge-realm":           "auto_from",
			"force-register-domain":     "$${domain}",
			"force-subscription-domain": "$${domain}",
			"force-register-db-domain":  "$${domain}",
			"manage-presence":           "true",
			"nonce-ttl":                 "60",
			"rtp-timeout-sec":           "300",
			"rtp-hold-timeout-sec":      "1800",
		}},
	}
}

// Sofia renders the sofia.conf document: global settings, the profiles
// (only `only` when it is set, as FreeSWITCH asks for one profile on a
// rescan) and each profile's gateways.
func Sofia(profiles []Profile, gateways []Gateway, only string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n")
	b.WriteString(`<document type="freeswitch/xml">` + "\n")
	b.WriteString(`  <section name="configuration" description="waihu">` + "\n")
	b.WriteString(`    <configuration name="sofia.conf" description="sofia Endpoint (waihu)">` + "\n")
	b.WriteString(`      <global_settings>` + "\n")
	param(&b, 8, "log-level", "0")
	param(&b, 8, "debug-presence", "0")
	b.WriteString(`      </global_settings>` + "\n")
	b.WriteString(`      <profiles>` + "\n")
	for _, p := range profiles {
		if only != "" && p.Name != only {
			continue
		}
		if err := checkName(p.Name); err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
		fmt.Fprintf(&b, "        <profile name=\"%s\">\n", esc(p.Name))
		b.WriteString("          <gateways>\n")
		for _, g := range gateways {
			if g.Profile != p.Name {
				continue
			}
			if err := writeGateway(&b, g); err != nil {
				return nil, err
			}
		}
		b.WriteString("          </gateways>\n")
		b.WriteString("          <domains>\n")
		b.WriteString("            <domain name=\"all\" alias=\"false\" parse=\"false\"/>\n")
		b.WriteString("          </domains>\n")
		b.WriteString("          <settings>\n")
		keys := make([]string, 0, len(p.Params))
		for k := range p.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			param(&b, 12, k, p.Params[k])
		}
		b.WriteString("          </settings>\n")
		b.WriteString("        </profile>\n")
	}
	b.WriteString(`      </profiles>` + "\n")
	b.WriteString(`    </configuration>` + "\n")
	b.WriteString(`  </section>` + "\n")
	b.WriteString(`</document>` + "\n")
	return b.Bytes(), nil
}

func writeGateway(b *bytes.Buffer, g Gateway) error {
	if err := checkName(g.Name); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if g.Proxy == "" {
		return fmt.Errorf("gateway %s: proxy is required", g.Name)
	}
	fmt.Fprintf(b, "            <gateway name=\"%s\">\n", esc(g.Name))
	realm := g.Realm
	if realm == "" {
		realm = g.Proxy
	}
	// Without credentials sofia still needs a username; "waihu" is what the
	// carrier sees in From when it authenticates by source address.
	user := g.Username
	if user == "" {
		user = "waihu"
	}
	param(b, 14, "username", user)
	if g.Password != "" {
		param(b, 14, "password", g.Password)
	} else {
		param(b, 14, "password", "unused")
	}
	param(b, 14, "proxy", g.Proxy)
	param(b, 14, "realm", realm)
	param(b, 14, "register", strconv.FormatBool(g.Register))
	if g.Register {
		exp := g.Expire
		if exp <= 0 {
			exp = 600
		}
		param(b, 14, "expire-seconds", strconv.Itoa(exp))
		param(b, 14, "retry-seconds", "30")
	}
	switch strings.ToLower(g.Transport) {
	case "", "udp":
	case "tcp", "tls":
		param(b, 14, "register-transport", strings.ToLower(g.Transport))
	default:
		return fmt.Errorf("gateway %s: transport %q is not udp, tcp or tls", g.Name, g.Transport)
	}
	param(b, 14, "caller-id-in-from", strconv.FormatBool(g.CallerIDInFrom))
	// OPTIONS pings tell waihu (sofia status gateway) a trunk is down
	// before calls start failing on it.
	param(b, 14, "ping", "30")
	b.WriteString("            </gateway>\n")
	return nil
}

// NotFound is the document that sends FreeSWITCH to its static config.
func NotFound() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" +
		`<document type="freeswitch/xml">` + "\n" +
		`  <section name="result">` + "\n" +
		`    <result status="not found"/>` + "\n" +
		`  </section>` + "\n" +
		`</document>` + "\n")
}

func param(b *bytes.Buffer, indent int, name, value string) {
	fmt.Fprintf(b, "%s<param name=\"%s\" value=\"%s\"/>\n", strings.Repeat(" ", indent), esc(name), esc(value))
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// checkName keeps profile and gateway names to what FreeSWITCH accepts in
// dial strings (sofia/gateway/<name>/…) and ESL commands.
func checkName(n string) error {
	if n == "" {
		return fmt.Errorf("name is empty")
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("name %q may hold only letters, digits, '_', '-' and '.'", n)
		}
	}
	return nil
}
