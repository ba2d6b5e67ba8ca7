package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
)

// A script's variables have no default values (dialog.Script.Vars is a
// plain list of names), so a variable the list cannot fill would be read as
// an empty string mid-call ("您好，，我是…"). Creating, changing or
// starting a campaign whose script version uses such a variable is
// therefore refused outright, naming the missing columns and the script
// version; there is nothing a user could confirm that would make the
// call right. Fix: re-import the list with that column, or pick another
// script version.

// MissingColumnsReason is the field reason (on script_version_id) for a
// script version that uses variables the list has no column for. The HTTP
// layer translates it by this shape, so keep the two in step.
func MissingColumnsReason(scriptName string, version int, versionID uint64, listName string, missing []string) string {
	return fmt.Sprintf("script %q version %d (id %d) uses columns the list %q lacks: %s",
		scriptName, version, versionID, listName, strings.Join(missing, ", "))
}

// ScriptColumns are the variables a script version reads from the contact:
// the declared contact columns, less those the script sets itself (a DTMF
// node's variable, set_vars).
func ScriptColumns(body string) ([]string, error) {
	var sc dialog.Script
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, n := range sc.Nodes {
		if n.Type == dialog.NodeDTMF && n.Var != "" {
			set[n.Var] = true
		}
		for k := range n.SetVars {
			set[k] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range sc.Vars {
		if v != "" && !set[v] && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// checkScriptColumns refuses a script version that uses a variable the
// list cannot fill. The list fills its columns, phone always, and name
// when its contacts have names (ContactVars is what the call reads).
func (s *Service) checkScriptColumns(ctx context.Context, versionID uint64, l *store.ContactList) error {
	if versionID == 0 {
		return nil
	}
	var v store.ScriptVersion
	if err := s.db.With(ctx).Select("id", "script_id", "version", "body").First(&v, versionID).Error; err != nil {
		return apperr.Invalid("script_version_id", "no such script version")
	}
	need, err := ScriptColumns(v.Body)
	if err != nil {
		return apperr.Invalid("script_version_id", "the script version is not valid JSON")
	}
	if len(need) == 0 {
		return nil
	}
	has := map[string]bool{"phone": true}
	var cols []string
	_ = json.Unmarshal([]byte(l.Columns), &cols)
	for _, c := range cols {
		has[c] = true
	}
	var missing []string
	for _, n := range need {
		if has[n] {
			continue
		}
		if n == "name" {
			var ids []uint64
			if err := s.db.With(ctx).Model(&store.Contact{}).Where("list_id = ? AND name <> ''", l.ID).Limit(1).Pluck("id", &ids).Error; err != nil {
				return err
			}
			if len(ids) > 0 {
				continue
			}
		}
		missing = append(missing, n)
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	var sc store.Script
	name := fmt.Sprintf("#%d", v.ScriptID)
	if err := s.db.With(ctx).Select("id", "name").First(&sc, v.ScriptID).Error; err == nil {
		name = sc.Name
	}
	return apperr.Invalid("script_version_id", MissingColumnsReason(name, v.Version, v.ID, l.Name, missing))
}

// CheckScriptFits is the wizard's pre-check before a campaign is created:
// the columns the script version reads from each contact, or the same
// refusal (on script_version_id) that creating the campaign would give.
func (s *Service) CheckScriptFits(ctx context.Context, listID, versionID uint64) ([]string, error) {
	l, err := s.GetList(ctx, listID)
	if err != nil {
		return nil, apperr.Invalid("list_id", "no such list")
	}
	var v store.ScriptVersion
	// The tenant scope filters other tenants' versions out.
	if err := s.db.With(ctx).Select("id", "body").First(&v, versionID).Error; err != nil {
		return nil, apperr.Invalid("script_version_id", "no such script version")
	}
	if err := s.checkScriptColumns(ctx, versionID, l); err != nil {
		return nil, err
	}
	cols, err := ScriptColumns(v.Body)
	if err != nil {
		return nil, apperr.Invalid("script_version_id", "the script version is not valid JSON")
	}
	if cols == nil {
		cols = []string{}
	}
	return cols, nil
}
