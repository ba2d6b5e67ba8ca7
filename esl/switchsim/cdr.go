package switchsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// cdrXML renders the CDR the way switch_ivr_generate_xml_cdr does
// (cdr-answered-plain-decoded.xml): <cdr core-uuid switchname>,
// channel_data, variables (values URL-encoded), app_log, callflow with
// caller_profile and times.
func (c *call) cdrXML() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	esc := func(s string) string {
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;")
		return r.Replace(s)
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<cdr core-uuid=\"%s\" switchname=\"%s\">\n", *c.sim.coreUUID.Load(), esc(c.sim.opts.Hostname))
	fmt.Fprintf(&b, "  <channel_data>\n    <state>%s</state>\n    <direction>outbound</direction>\n    <state_number>%d</state_number>\n"+
		"    <flags>0=1;1=1;2=1;22=1;39=1;40=1;42=1;45=1;55=1;62=1;95=1;113=1;114=1;160=1;166=1</flags>\n"+
		"    <caps>1=1;2=1;3=1;4=1;5=1;6=1;8=1;9=1;10=1</caps>\n  </channel_data>\n", c.state, c.stateNum)
	b.WriteString("  <variables>\n")
	for _, v := range c.vars {
		fmt.Fprintf(&b, "    <%s>%s</%s>\n", v.k, urlEncode(v.v), v.k)
	}
	b.WriteString("  </variables>\n  <app_log>\n")
	for _, a := range c.appLog {
		fmt.Fprintf(&b, "    <application app_name=\"%s\" app_data=\"%s\" app_stamp=\"%d\"></application>\n", esc(a.k), esc(a.v), c.created.UnixMicro())
	}
	b.WriteString("  </app_log>\n")
	fmt.Fprintf(&b, "  <callflow unique-id=\"%s\" profile_index=\"1\">\n", c.uuid)
	fmt.Fprintf(&b, "    <extension name=\"%s\" number=\"%s\">\n      <application app_name=\"%s\" app_data=\"%s\"></application>\n    </extension>\n",
		esc(c.app), esc(c.appArg), esc(c.app), esc(c.appArg))
	cid := getVar(c.vars, "origination_caller_id_number")
	if cid == "" {
		cid = "0000000000"
	}
	fmt.Fprintf(&b, "    <caller_profile>\n      <username></username>\n      <dialplan></dialplan>\n"+
		"      <caller_id_name>Outbound Call</caller_id_name>\n      <caller_id_number>%s</caller_id_number>\n"+
		"      <callee_id_name></callee_id_name>\n      <callee_id_number>%s</callee_id_number>\n      <ani>%s</ani>\n"+
		"      <aniii></aniii>\n      <network_addr>127.0.0.1</network_addr>\n      <rdnis></rdnis>\n"+
		"      <destination_number>%s</destination_number>\n      <uuid>%s</uuid>\n      <source>src/switch_ivr_originate.c</source>\n"+
		"      <context>default</context>\n      <chan_name>%s</chan_name>\n    </caller_profile>\n",
		esc(c.number), esc(cid), esc(cid), esc(c.number), c.uuid, esc(c.channelName()))
	fmt.Fprintf(&b, "    <times>\n      <created_time>%s</created_time>\n      <profile_created_time>%s</profile_created_time>\n"+
		"      <progress_time>%s</progress_time>\n      <progress_media_time>%s</progress_media_time>\n"+
		"      <answered_time>%s</answered_time>\n      <bridged_time>0</bridged_time>\n      <last_hold_time>0</last_hold_time>\n"+
		"      <hold_accum_time>0</hold_accum_time>\n      <hangup_time>%s</hangup_time>\n      <resurrect_time>0</resurrect_time>\n"+
		"      <transfer_time>0</transfer_time>\n    </times>\n  </callflow>\n</cdr>\n",
		micros(c.created), micros(c.created), micros(c.progressAt), micros(c.mediaAt), micros(c.answeredAt), micros(c.hungupAt))
	return b.String()
}

// postCDR sends the CDR like mod_xml_cdr (cdr-post.txt): POST
// <url>?uuid=a_<uuid>, User-Agent freeswitch-xml/1.0, form body
// "cdr=<url-encoded XML>" ('/' left literal), retried `retries` times
// `delay` apart with the byte-identical request until a 2xx.
func (c *call) postCDR() {
	s := c.sim
	if s.opts.CDRURL == "" {
		return
	}
	url := s.opts.CDRURL
	if strings.Contains(url, "?") {
		url += "&uuid=a_" + c.uuid
	} else {
		url += "?uuid=a_" + c.uuid
	}
	body := []byte("cdr=" + formEncode(c.cdrXML()))
	run := s.runCtx()
	for try := 0; try <= s.opts.CDRRetries; try++ {
		if try > 0 {
			select {
			case <-time.After(s.opts.CDRRetryDelay):
			case <-run.Done():
				return
			}
		}
		ctx, cancel := context.WithTimeout(run, 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			cancel()
			s.log.Warn("switchsim cdr request", "err", err)
			return
		}
		req.Header.Set("User-Agent", "freeswitch-xml/1.0")
		req.Header.Set("Accept", "*/*")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := s.opts.HTTPClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		cancel()
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			c.mu.Lock()
			c.cdrPosted = true
			c.mu.Unlock()
			return
		}
		s.log.Warn("switchsim cdr post failed", "try", try+1, "err", err)
	}
}

// formEncode is curl_easy_escape-like encoding as mod_xml_cdr uses it
// (the trace keeps '/' literal and encodes spaces as %20).
func formEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}
