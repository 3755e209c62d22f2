//! Who may run each admin operation, declared once: `Domain(args)` operations run for a
//! domain admin only when every listed argument (a JID or a domain; dotted names reach
//! into input objects) is in the admin's domain or a subdomain of it; `Global`
//! operations are for the global admin only. The table mirrors MongooseIM's `@protected`
//! directives (93 domain-scoped, 38 global-only operations), except that
//! `AccountAdminMutation.importUsers`, which MongooseIM leaves unguarded, is checked
//! record by record.

/// The domain-admin scope of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Allowed for a domain admin when these arguments are in its domain.
    Domain(&'static [&'static str]),
    /// Global admin only.
    Global,
    /// Allowed for a domain admin, each imported record limited to its domain.
    DomainRecords,
    /// No restriction (unused: kept to state that nothing is left unguarded).
    Unguarded,
}

/// Scope of `Type.field`, if declared.
pub fn of(op: &str) -> Option<Scope> {
    ADMIN.iter().find(|(name, _)| *name == op).map(|(_, s)| *s)
}

/// Every admin operation (queries, mutations, subscriptions) except `checkAuth`.
pub static ADMIN: &[(&str, Scope)] = &[
    ("AccountAdminQuery.listUsers", Scope::Domain(&["domain"])),
    ("AccountAdminQuery.countUsers", Scope::Domain(&["domain"])),
    ("AccountAdminQuery.checkPassword", Scope::Domain(&["user"])),
    (
        "AccountAdminQuery.checkPasswordHash",
        Scope::Domain(&["user"]),
    ),
    ("AccountAdminQuery.checkUser", Scope::Domain(&["user"])),
    ("DomainAdminQuery.domainsByHostType", Scope::Global),
    ("DomainAdminQuery.allDomains", Scope::Global),
    ("DomainAdminQuery.domainDetails", Scope::Domain(&["domain"])),
    ("LastAdminQuery.getLast", Scope::Domain(&["user"])),
    (
        "LastAdminQuery.countActiveUsers",
        Scope::Domain(&["domain"]),
    ),
    ("LastAdminQuery.listOldUsers", Scope::Domain(&["domain"])),
    ("MUCAdminQuery.listRooms", Scope::Domain(&["from"])),
    ("MUCAdminQuery.getRoomConfig", Scope::Domain(&["room"])),
    ("MUCAdminQuery.listRoomUsers", Scope::Domain(&["room"])),
    (
        "MUCAdminQuery.listRoomAffiliations",
        Scope::Domain(&["room"]),
    ),
    ("MUCAdminQuery.getRoomMessages", Scope::Domain(&["room"])),
    (
        "MUCLightAdminQuery.getRoomMessages",
        Scope::Domain(&["room"]),
    ),
    ("MUCLightAdminQuery.getRoomConfig", Scope::Domain(&["room"])),
    ("MUCLightAdminQuery.listRoomUsers", Scope::Domain(&["room"])),
    ("MUCLightAdminQuery.listUserRooms", Scope::Domain(&["user"])),
    (
        "MUCLightAdminQuery.getBlockingList",
        Scope::Domain(&["user"]),
    ),
    (
        "MUCLightAdminQuery.listRooms",
        Scope::Domain(&["mucDomain"]),
    ),
    ("SessionAdminQuery.listSessions", Scope::Domain(&["domain"])),
    (
        "SessionAdminQuery.countSessions",
        Scope::Domain(&["domain"]),
    ),
    (
        "SessionAdminQuery.listUserSessions",
        Scope::Domain(&["user"]),
    ),
    (
        "SessionAdminQuery.countUserResources",
        Scope::Domain(&["user"]),
    ),
    (
        "SessionAdminQuery.getUserResource",
        Scope::Domain(&["user"]),
    ),
    (
        "SessionAdminQuery.listUsersWithStatus",
        Scope::Domain(&["domain"]),
    ),
    (
        "SessionAdminQuery.countUsersWithStatus",
        Scope::Domain(&["domain"]),
    ),
    (
        "StanzaAdminQuery.getLastMessages",
        Scope::Domain(&["caller"]),
    ),
    ("RosterAdminQuery.listContacts", Scope::Domain(&["user"])),
    ("RosterAdminQuery.getContact", Scope::Domain(&["user"])),
    ("VcardAdminQuery.getVcard", Scope::Domain(&["user"])),
    ("PrivateAdminQuery.getPrivate", Scope::Domain(&["user"])),
    ("MetricAdminQuery.getMetrics", Scope::Global),
    ("MetricAdminQuery.getMetricsAsDicts", Scope::Global),
    ("MetricAdminQuery.getClusterMetricsAsDicts", Scope::Global),
    ("StatsAdminQuery.globalStats", Scope::Global),
    ("StatsAdminQuery.domainStats", Scope::Domain(&["domain"])),
    (
        "GdprAdminQuery.retrievePersonalData",
        Scope::Domain(&["domain"]),
    ),
    ("MnesiaAdminQuery.systemInfo", Scope::Global),
    ("CETSAdminQuery.tableInfo", Scope::Global),
    ("CETSAdminQuery.systemInfo", Scope::Global),
    ("ServerAdminQuery.status", Scope::Global),
    ("ServerAdminQuery.getLoglevel", Scope::Global),
    ("ServerAdminQuery.getCookie", Scope::Global),
    ("ServerAdminQuery.hostTypes", Scope::Global),
    ("ServerAdminQuery.globalInfo", Scope::Global),
    (
        "BroadcastAdminQuery.getBroadcasts",
        Scope::Domain(&["domain"]),
    ),
    (
        "BroadcastAdminQuery.getBroadcast",
        Scope::Domain(&["domain"]),
    ),
    ("BlocklistAdminQuery.userCount", Scope::Domain(&["domain"])),
    (
        "BlocklistAdminQuery.listBlockedUsers",
        Scope::Domain(&["domain"]),
    ),
    (
        "AccountAdminMutation.registerUser",
        Scope::Domain(&["domain"]),
    ),
    ("AccountAdminMutation.removeUser", Scope::Domain(&["user"])),
    ("AccountAdminMutation.banUser", Scope::Domain(&["user"])),
    (
        "AccountAdminMutation.changeUserPassword",
        Scope::Domain(&["user"]),
    ),
    ("AccountAdminMutation.importUsers", Scope::DomainRecords),
    ("DomainAdminMutation.addDomain", Scope::Global),
    ("DomainAdminMutation.removeDomain", Scope::Global),
    ("DomainAdminMutation.requestRemoveDomain", Scope::Global),
    ("DomainAdminMutation.enableDomain", Scope::Global),
    ("DomainAdminMutation.disableDomain", Scope::Global),
    (
        "DomainAdminMutation.setDomainPassword",
        Scope::Domain(&["domain"]),
    ),
    ("DomainAdminMutation.deleteDomainPassword", Scope::Global),
    ("InboxAdminMutation.flushUserBin", Scope::Domain(&["user"])),
    (
        "InboxAdminMutation.flushDomainBin",
        Scope::Domain(&["domain"]),
    ),
    ("InboxAdminMutation.flushGlobalBin", Scope::Global),
    ("LastAdminMutation.setLast", Scope::Domain(&["user"])),
    (
        "LastAdminMutation.removeOldUsers",
        Scope::Domain(&["domain"]),
    ),
    (
        "MUCAdminMutation.createInstantRoom",
        Scope::Domain(&["owner"]),
    ),
    ("MUCAdminMutation.inviteUser", Scope::Domain(&["sender"])),
    ("MUCAdminMutation.kickUser", Scope::Domain(&["room"])),
    (
        "MUCAdminMutation.sendMessageToRoom",
        Scope::Domain(&["from"]),
    ),
    (
        "MUCAdminMutation.sendPrivateMessage",
        Scope::Domain(&["from"]),
    ),
    ("MUCAdminMutation.deleteRoom", Scope::Domain(&["room"])),
    (
        "MUCAdminMutation.changeRoomConfiguration",
        Scope::Domain(&["room"]),
    ),
    ("MUCAdminMutation.setUserRole", Scope::Domain(&["room"])),
    (
        "MUCAdminMutation.setUserAffiliation",
        Scope::Domain(&["room"]),
    ),
    ("MUCAdminMutation.enterRoom", Scope::Domain(&["user"])),
    ("MUCAdminMutation.exitRoom", Scope::Domain(&["user"])),
    (
        "MUCLightAdminMutation.createRoom",
        Scope::Domain(&["mucDomain", "owner"]),
    ),
    (
        "MUCLightAdminMutation.changeRoomConfiguration",
        Scope::Domain(&["room"]),
    ),
    (
        "MUCLightAdminMutation.inviteUser",
        Scope::Domain(&["sender"]),
    ),
    ("MUCLightAdminMutation.deleteRoom", Scope::Domain(&["room"])),
    ("MUCLightAdminMutation.kickUser", Scope::Domain(&["room"])),
    (
        "MUCLightAdminMutation.sendMessageToRoom",
        Scope::Domain(&["from"]),
    ),
    (
        "MUCLightAdminMutation.setBlockingList",
        Scope::Domain(&["user"]),
    ),
    (
        "SessionAdminMutation.kickUserSession",
        Scope::Domain(&["user"]),
    ),
    ("SessionAdminMutation.kickUser", Scope::Domain(&["user"])),
    ("SessionAdminMutation.setPresence", Scope::Domain(&["user"])),
    ("StanzaAdminMutation.sendMessage", Scope::Domain(&["from"])),
    (
        "StanzaAdminMutation.sendMessageHeadLine",
        Scope::Domain(&["from"]),
    ),
    ("StanzaAdminMutation.sendStanza", Scope::Global),
    ("RosterAdminMutation.addContact", Scope::Domain(&["user"])),
    ("RosterAdminMutation.addContacts", Scope::Domain(&["user"])),
    ("RosterAdminMutation.subscription", Scope::Domain(&["user"])),
    (
        "RosterAdminMutation.deleteContact",
        Scope::Domain(&["user"]),
    ),
    (
        "RosterAdminMutation.deleteContacts",
        Scope::Domain(&["user"]),
    ),
    (
        "RosterAdminMutation.setMutualSubscription",
        Scope::Domain(&["userA", "userB"]),
    ),
    (
        "RosterAdminMutation.subscribeToAll",
        Scope::Domain(&["user.jid", "contacts.jid"]),
    ),
    (
        "RosterAdminMutation.subscribeAllToAll",
        Scope::Domain(&["contacts.jid"]),
    ),
    ("VcardAdminMutation.setVcard", Scope::Domain(&["user"])),
    ("PrivateAdminMutation.setPrivate", Scope::Domain(&["user"])),
    ("HttpUploadAdminMutation.getUrl", Scope::Domain(&["domain"])),
    (
        "ExternalServicesAdminMutation.getServices",
        Scope::Domain(&["domain"]),
    ),
    (
        "OfflineAdminMutation.deleteExpiredMessages",
        Scope::Domain(&["domain"]),
    ),
    (
        "OfflineAdminMutation.deleteOldMessages",
        Scope::Domain(&["domain"]),
    ),
    ("TokenAdminMutation.requestToken", Scope::Domain(&["user"])),
    ("TokenAdminMutation.revokeToken", Scope::Domain(&["user"])),
    ("MnesiaAdminMutation.setMaster", Scope::Global),
    ("MnesiaAdminMutation.changeNodename", Scope::Global),
    ("MnesiaAdminMutation.backup", Scope::Global),
    ("MnesiaAdminMutation.restore", Scope::Global),
    ("MnesiaAdminMutation.dump", Scope::Global),
    ("MnesiaAdminMutation.dumpTable", Scope::Global),
    ("MnesiaAdminMutation.load", Scope::Global),
    ("MnesiaAdminMutation.installFallback", Scope::Global),
    ("ServerAdminMutation.joinCluster", Scope::Global),
    ("ServerAdminMutation.leaveCluster", Scope::Global),
    ("ServerAdminMutation.removeFromCluster", Scope::Global),
    ("ServerAdminMutation.restart", Scope::Global),
    ("ServerAdminMutation.stop", Scope::Global),
    ("ServerAdminMutation.removeNode", Scope::Global),
    ("ServerAdminMutation.setLoglevel", Scope::Global),
    (
        "BroadcastAdminMutation.startBroadcast",
        Scope::Domain(&["domain"]),
    ),
    (
        "BroadcastAdminMutation.abortBroadcast",
        Scope::Domain(&["domain"]),
    ),
    (
        "BroadcastAdminMutation.deleteInactiveBroadcastsByIds",
        Scope::Domain(&["domain"]),
    ),
    (
        "BroadcastAdminMutation.deleteInactiveBroadcastsByDomain",
        Scope::Domain(&["domain"]),
    ),
    ("BlocklistAdminMutation.addUser", Scope::Domain(&["user"])),
    (
        "BlocklistAdminMutation.removeUser",
        Scope::Domain(&["user"]),
    ),
    (
        "StanzaAdminSubscription.subscribeForMessages",
        Scope::Domain(&["caller"]),
    ),
    ("StanzaAdminSubscription.subscribeForTraffic", Scope::Global),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_mongooseim() {
        let domain = ADMIN
            .iter()
            .filter(|(_, s)| matches!(s, Scope::Domain(_)))
            .count();
        let global = ADMIN.iter().filter(|(_, s)| *s == Scope::Global).count();
        assert_eq!((domain, global, ADMIN.len()), (93, 38, 132));
        assert_eq!(
            of("AccountAdminMutation.importUsers"),
            Some(Scope::DomainRecords)
        );
        let mut names: Vec<&str> = ADMIN.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ADMIN.len(), "duplicate entries");
    }
}
