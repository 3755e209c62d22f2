//! `impl VcardStore for PgStore`: MongooseIM's `vcard`, plus the `vcard_search` row
//! MongooseIM's directory search reads (the fields it indexes, and their lower-case
//! forms), written in the same transaction.

use meerkat_core::store::{StoreFuture, VcardStore};
use meerkat_xmpp::{Element, ParseLimits};

use super::{PgStore, UserRows, remove_user_rows, split_owner};

/// The user's vCard and its search row.
pub(super) const USER_ROWS: UserRows = &[
    "DELETE FROM vcard WHERE server = $1 AND username = $2",
    "DELETE FROM vcard_search WHERE server = $1 AND lusername = $2",
];

const NS: &str = "vcard-temp";

/// The searchable fields of a vCard in `vcard_search`'s column order (fn, family, given,
/// middle, nickname, bday, ctry, locality, email, orgname, orgunit); empty when absent
/// or when the stored XML does not parse.
fn search_fields(xml: &str) -> [String; 11] {
    let Ok(vcard) = Element::parse_str(xml, &ParseLimits::default()) else {
        return Default::default();
    };
    let text = |path: &[&str]| -> String {
        let mut el = &vcard;
        for name in path {
            match el.get_child(name, NS) {
                Some(child) => el = child,
                None => return String::new(),
            }
        }
        el.text()
    };
    let email = match text(&["EMAIL", "USERID"]) {
        e if e.is_empty() => text(&["EMAIL"]),
        e => e,
    };
    [
        text(&["FN"]),
        text(&["N", "FAMILY"]),
        text(&["N", "GIVEN"]),
        text(&["N", "MIDDLE"]),
        text(&["NICKNAME"]),
        text(&["BDAY"]),
        text(&["ADR", "CTRY"]),
        text(&["ADR", "LOCALITY"]),
        email,
        text(&["ORG", "ORGNAME"]),
        text(&["ORG", "ORGUNIT"]),
    ]
}

impl VcardStore for PgStore {
    fn vcard_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            sqlx::query_scalar("SELECT vcard FROM vcard WHERE server = $1 AND username = $2")
                .bind(server)
                .bind(user)
                .fetch_optional(self.db()?)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn vcard_set<'a>(&'a self, owner: &'a str, xml: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let fields = search_fields(xml);
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            sqlx::query(
                "INSERT INTO vcard (server, username, vcard) VALUES ($1, $2, $3) \
                 ON CONFLICT (server, username) DO UPDATE SET vcard = excluded.vcard",
            )
            .bind(server)
            .bind(user)
            .bind(xml)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?;
            let mut insert = sqlx::query(
                "INSERT INTO vcard_search (server, username, lusername, \
                   fn, lfn, family, lfamily, given, lgiven, middle, lmiddle, \
                   nickname, lnickname, bday, lbday, ctry, lctry, locality, llocality, \
                   email, lemail, orgname, lorgname, orgunit, lorgunit) \
                 VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                   $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
                 ON CONFLICT (server, lusername) DO UPDATE SET \
                   username = excluded.username, fn = excluded.fn, lfn = excluded.lfn, \
                   family = excluded.family, lfamily = excluded.lfamily, \
                   given = excluded.given, lgiven = excluded.lgiven, \
                   middle = excluded.middle, lmiddle = excluded.lmiddle, \
                   nickname = excluded.nickname, lnickname = excluded.lnickname, \
                   bday = excluded.bday, lbday = excluded.lbday, \
                   ctry = excluded.ctry, lctry = excluded.lctry, \
                   locality = excluded.locality, llocality = excluded.llocality, \
                   email = excluded.email, lemail = excluded.lemail, \
                   orgname = excluded.orgname, lorgname = excluded.lorgname, \
                   orgunit = excluded.orgunit, lorgunit = excluded.lorgunit",
            )
            .bind(server)
            .bind(user);
            for field in &fields {
                insert = insert.bind(field.as_str()).bind(field.to_lowercase());
            }
            insert.execute(&mut *tx).await.map_err(|e| self.fail(e))?;
            tx.commit().await.map_err(|e| self.fail(e))
        })
    }

    fn vcard_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::search_fields;

    #[test]
    fn search_fields_follow_mongooseim() {
        let xml = "<vCard xmlns='vcard-temp'><FN>Alice Ä</FN><N><FAMILY>Liddell</FAMILY>\
                   <GIVEN>Alice</GIVEN></N><EMAIL><USERID>a@example.com</USERID></EMAIL>\
                   <ORG><ORGNAME>Wonder</ORGNAME></ORG><ADR><CTRY>UK</CTRY></ADR></vCard>";
        let f = search_fields(xml);
        assert_eq!(f[0], "Alice Ä");
        assert_eq!(f[1], "Liddell");
        assert_eq!(f[2], "Alice");
        assert_eq!(f[3], "");
        assert_eq!(f[6], "UK");
        assert_eq!(f[8], "a@example.com");
        assert_eq!(f[9], "Wonder");
        assert_eq!(search_fields("<not-xml"), <[String; 11]>::default());
    }
}
