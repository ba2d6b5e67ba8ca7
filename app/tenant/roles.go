package tenant

import "github.com/waihu/waihu/app/store"

// tenantRoleRank orders tenant roles; a higher rank includes the lower ones' rights.
var tenantRoleRank = map[string]int{
	store.RoleViewer:  1,
	store.RoleAgent:   2,
	store.RoleManager: 3,
	store.RoleAdmin:   4,
	store.RoleOwner:   5,
}

// TenantRoles lists tenant roles from most to least powerful.
var TenantRoles = []string{store.RoleOwner, store.RoleAdmin, store.RoleManager, store.RoleAgent, store.RoleViewer}

// StaffRoles lists operator roles.
var StaffRoles = []string{store.StaffAdmin, store.StaffSales, store.StaffFinance, store.StaffSupport}

// ValidTenantRole reports whether r is a tenant role.
func ValidTenantRole(r string) bool { _, ok := tenantRoleRank[r]; return ok }

// ValidStaffRole reports whether r is an operator role.
func ValidStaffRole(r string) bool {
	for _, s := range StaffRoles {
		if s == r {
			return true
		}
	}
	return false
}

// AtLeast reports whether tenant role has at least min's rights.
func AtLeast(role, min string) bool {
	return tenantRoleRank[role] >= tenantRoleRank[min] && tenantRoleRank[min] > 0
}

// StaffCan reports whether an operator role may act in an area of the back
// office. Admins may do everything; the other roles have their own areas.
func StaffCan(role, area string) bool {
	if role == store.StaffAdmin {
		return true
	}
	allowed := map[string][]string{
		store.StaffSales:   {"dashboard", "leads", "tenants.read", "tenants.activate", "plans.read", "stats"},
		store.StaffFinance: {"dashboard", "tenants.read", "billing", "plans.read", "plans", "stats", "audit"},
		store.StaffSupport: {"dashboard", "tenants.read", "tenants.support_view", "trunks.read", "nodes.read", "stats", "audit"},
	}
	for _, a := range allowed[role] {
		if a == area {
			return true
		}
	}
	return false
}
