//! vCards (MongooseIM's `mod_vcard_api`): the structured form of a vcard-temp (XEP-0054)
//! `<vCard/>` that the admin and user APIs read and write, mapped to and from the very
//! XML an XMPP client stores and reads with a vcard-temp IQ (same store entry).
//!
//! Element names follow XEP-0054 (FN, N/FAMILY..., PHOTO/TYPE/BINVAL/EXTVAL, ADR with
//! HOME/WORK/... flags, TEL/NUMBER, EMAIL/USERID, GEO/LAT/LON, ORG/ORGNAME/ORGUNIT,
//! CATEGORIES/KEYWORD, SORT-STRING, SOUND, CLASS, KEY/TYPE/CRED...). MongooseIM writes
//! `SOR` instead of `SORT-STRING`; both are read, `SORT-STRING` is written.

use super::{CommandError, CommandResult};
use crate::Server;
use meerkat_xmpp::{BareJid, Element, Jid, ParseLimits, ns};

/// `N`: the structured name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameComponents {
    /// FAMILY.
    pub family: Option<String>,
    /// GIVEN.
    pub given: Option<String>,
    /// MIDDLE.
    pub middle: Option<String>,
    /// PREFIX.
    pub prefix: Option<String>,
    /// SUFFIX.
    pub suffix: Option<String>,
}

/// `ADR`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// Flags: HOME, WORK, POSTAL, PARCEL, DOM, PREF, INTL.
    pub tags: Vec<String>,
    /// POBOX.
    pub pobox: Option<String>,
    /// EXTADD.
    pub extadd: Option<String>,
    /// STREET.
    pub street: Option<String>,
    /// LOCALITY.
    pub locality: Option<String>,
    /// REGION.
    pub region: Option<String>,
    /// PCODE.
    pub pcode: Option<String>,
    /// CTRY.
    pub country: Option<String>,
}

/// `LABEL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Label {
    /// Flags, as for [`Address`].
    pub tags: Vec<String>,
    /// LINE elements.
    pub lines: Vec<String>,
}

/// `TEL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Telephone {
    /// Flags: HOME, WORK, VOICE, FAX, PAGER, MSG, CELL, VIDEO, BBS, MODEM, ISDN, PCS, PREF.
    pub tags: Vec<String>,
    /// NUMBER.
    pub number: Option<String>,
}

/// `EMAIL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Email {
    /// Flags: HOME, WORK, INTERNET, PREF, X400.
    pub tags: Vec<String>,
    /// USERID.
    pub user_id: Option<String>,
}

/// `PHOTO` or `LOGO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// TYPE (a MIME type).
    pub ty: Option<String>,
    /// BINVAL (base64).
    pub bin_value: Option<String>,
    /// EXTVAL (a URI).
    pub ext_value: Option<String>,
}

/// `SOUND`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sound {
    /// PHONETIC.
    pub phonetic: Option<String>,
    /// BINVAL (base64).
    pub bin_value: Option<String>,
    /// EXTVAL (a URI).
    pub ext_value: Option<String>,
}

/// `AGENT`: an embedded vCard or a link to one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agent {
    /// The embedded `<vCard/>`.
    pub vcard: Option<Box<Vcard>>,
    /// EXTVAL.
    pub ext_value: Option<String>,
}

/// `GEO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Geo {
    /// LAT.
    pub lat: Option<String>,
    /// LON.
    pub lon: Option<String>,
}

/// `ORG`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    /// ORGNAME.
    pub name: Option<String>,
    /// ORGUNIT elements.
    pub units: Vec<String>,
}

/// `KEY`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Key {
    /// TYPE.
    pub ty: Option<String>,
    /// CRED.
    pub credential: Option<String>,
}

/// A vCard. Repeated properties are lists, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vcard {
    /// FN.
    pub formatted_name: Option<String>,
    /// N.
    pub name_components: Option<NameComponents>,
    /// NICKNAME.
    pub nickname: Vec<String>,
    /// PHOTO.
    pub photo: Vec<Image>,
    /// BDAY.
    pub birthday: Vec<String>,
    /// ADR.
    pub address: Vec<Address>,
    /// LABEL.
    pub label: Vec<Label>,
    /// TEL.
    pub telephone: Vec<Telephone>,
    /// EMAIL.
    pub email: Vec<Email>,
    /// JABBERID.
    pub jabber_id: Vec<String>,
    /// MAILER.
    pub mailer: Vec<String>,
    /// TZ.
    pub time_zone: Vec<String>,
    /// GEO.
    pub geo: Vec<Geo>,
    /// TITLE.
    pub title: Vec<String>,
    /// ROLE.
    pub role: Vec<String>,
    /// LOGO.
    pub logo: Vec<Image>,
    /// AGENT.
    pub agent: Vec<Agent>,
    /// ORG.
    pub org: Vec<Organization>,
    /// CATEGORIES, each a list of KEYWORD.
    pub categories: Vec<Vec<String>>,
    /// NOTE.
    pub note: Vec<String>,
    /// PRODID.
    pub prod_id: Vec<String>,
    /// REV.
    pub rev: Vec<String>,
    /// SORT-STRING.
    pub sort_string: Vec<String>,
    /// SOUND.
    pub sound: Vec<Sound>,
    /// UID.
    pub uid: Vec<String>,
    /// URL.
    pub url: Vec<String>,
    /// DESC.
    pub desc: Vec<String>,
    /// CLASS, each a list of PUBLIC / PRIVATE / CONFIDENTIAL flags.
    pub class: Vec<Vec<String>>,
    /// KEY.
    pub key: Vec<Key>,
}

fn el(name: &str) -> Element {
    Element::new(name, ns::VCARD)
}

fn text_el(name: &str, text: &str) -> Element {
    el(name).with_text(text)
}

fn push_opt(parent: &mut Element, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        parent.append_child(text_el(name, v));
    }
}

fn push_flags(parent: &mut Element, flags: &[String]) {
    for f in flags {
        parent.append_child(el(f));
    }
}

fn push_texts(card: &mut Element, name: &str, values: &[String]) {
    for v in values {
        card.append_child(text_el(name, v));
    }
}

fn image_el(name: &str, i: &Image) -> Element {
    let mut e = el(name);
    push_opt(&mut e, "TYPE", &i.ty);
    push_opt(&mut e, "BINVAL", &i.bin_value);
    push_opt(&mut e, "EXTVAL", &i.ext_value);
    e
}

impl Vcard {
    /// The `<vCard xmlns='vcard-temp'/>` element.
    pub fn to_element(&self) -> Element {
        let mut c = el("vCard");
        push_opt(&mut c, "FN", &self.formatted_name);
        if let Some(n) = &self.name_components {
            let mut e = el("N");
            push_opt(&mut e, "FAMILY", &n.family);
            push_opt(&mut e, "GIVEN", &n.given);
            push_opt(&mut e, "MIDDLE", &n.middle);
            push_opt(&mut e, "PREFIX", &n.prefix);
            push_opt(&mut e, "SUFFIX", &n.suffix);
            c.append_child(e);
        }
        push_texts(&mut c, "NICKNAME", &self.nickname);
        for p in &self.photo {
            c.append_child(image_el("PHOTO", p));
        }
        push_texts(&mut c, "BDAY", &self.birthday);
        for a in &self.address {
            let mut e = el("ADR");
            push_flags(&mut e, &a.tags);
            push_opt(&mut e, "POBOX", &a.pobox);
            push_opt(&mut e, "EXTADD", &a.extadd);
            push_opt(&mut e, "STREET", &a.street);
            push_opt(&mut e, "LOCALITY", &a.locality);
            push_opt(&mut e, "REGION", &a.region);
            push_opt(&mut e, "PCODE", &a.pcode);
            push_opt(&mut e, "CTRY", &a.country);
            c.append_child(e);
        }
        for l in &self.label {
            let mut e = el("LABEL");
            push_flags(&mut e, &l.tags);
            push_texts(&mut e, "LINE", &l.lines);
            c.append_child(e);
        }
        for t in &self.telephone {
            let mut e = el("TEL");
            push_flags(&mut e, &t.tags);
            push_opt(&mut e, "NUMBER", &t.number);
            c.append_child(e);
        }
        for m in &self.email {
            let mut e = el("EMAIL");
            push_flags(&mut e, &m.tags);
            push_opt(&mut e, "USERID", &m.user_id);
            c.append_child(e);
        }
        push_texts(&mut c, "JABBERID", &self.jabber_id);
        push_texts(&mut c, "MAILER", &self.mailer);
        push_texts(&mut c, "TZ", &self.time_zone);
        for g in &self.geo {
            let mut e = el("GEO");
            push_opt(&mut e, "LAT", &g.lat);
            push_opt(&mut e, "LON", &g.lon);
            c.append_child(e);
        }
        push_texts(&mut c, "TITLE", &self.title);
        push_texts(&mut c, "ROLE", &self.role);
        for l in &self.logo {
            c.append_child(image_el("LOGO", l));
        }
        for a in &self.agent {
            let mut e = el("AGENT");
            if let Some(v) = &a.vcard {
                e.append_child(v.to_element());
            }
            push_opt(&mut e, "EXTVAL", &a.ext_value);
            c.append_child(e);
        }
        for o in &self.org {
            let mut e = el("ORG");
            push_opt(&mut e, "ORGNAME", &o.name);
            push_texts(&mut e, "ORGUNIT", &o.units);
            c.append_child(e);
        }
        for k in &self.categories {
            let mut e = el("CATEGORIES");
            push_texts(&mut e, "KEYWORD", k);
            c.append_child(e);
        }
        push_texts(&mut c, "NOTE", &self.note);
        push_texts(&mut c, "PRODID", &self.prod_id);
        push_texts(&mut c, "REV", &self.rev);
        push_texts(&mut c, "SORT-STRING", &self.sort_string);
        for s in &self.sound {
            let mut e = el("SOUND");
            push_opt(&mut e, "PHONETIC", &s.phonetic);
            push_opt(&mut e, "BINVAL", &s.bin_value);
            push_opt(&mut e, "EXTVAL", &s.ext_value);
            c.append_child(e);
        }
        push_texts(&mut c, "UID", &self.uid);
        push_texts(&mut c, "URL", &self.url);
        push_texts(&mut c, "DESC", &self.desc);
        for flags in &self.class {
            let mut e = el("CLASS");
            push_flags(&mut e, flags);
            c.append_child(e);
        }
        for k in &self.key {
            let mut e = el("KEY");
            push_opt(&mut e, "TYPE", &k.ty);
            push_opt(&mut e, "CRED", &k.credential);
            c.append_child(e);
        }
        c
    }

    /// Reads a `<vCard/>` element. Unknown properties are skipped; a property that should
    /// hold text but holds elements reads as absent.
    pub fn from_element(card: &Element) -> Vcard {
        let mut v = Vcard::default();
        for p in card.children().filter(|p| p.ns() == ns::VCARD) {
            match p.name() {
                "FN" => v.formatted_name = text_of(p),
                "N" => {
                    v.name_components = Some(NameComponents {
                        family: child_text(p, "FAMILY"),
                        given: child_text(p, "GIVEN"),
                        middle: child_text(p, "MIDDLE"),
                        prefix: child_text(p, "PREFIX"),
                        suffix: child_text(p, "SUFFIX"),
                    })
                }
                "NICKNAME" => push_text(&mut v.nickname, p),
                "PHOTO" => v.photo.push(image_of(p)),
                "BDAY" => push_text(&mut v.birthday, p),
                "ADR" => v.address.push(Address {
                    tags: flags_of(p, ADDRESS_FLAGS),
                    pobox: child_text(p, "POBOX"),
                    extadd: child_text(p, "EXTADD"),
                    street: child_text(p, "STREET"),
                    locality: child_text(p, "LOCALITY"),
                    region: child_text(p, "REGION"),
                    pcode: child_text(p, "PCODE"),
                    country: child_text(p, "CTRY"),
                }),
                "LABEL" => v.label.push(Label {
                    tags: flags_of(p, ADDRESS_FLAGS),
                    lines: children_text(p, "LINE"),
                }),
                "TEL" => v.telephone.push(Telephone {
                    tags: flags_of(p, TELEPHONE_FLAGS),
                    number: child_text(p, "NUMBER"),
                }),
                "EMAIL" => v.email.push(Email {
                    tags: flags_of(p, EMAIL_FLAGS),
                    user_id: child_text(p, "USERID"),
                }),
                "JABBERID" => push_text(&mut v.jabber_id, p),
                "MAILER" => push_text(&mut v.mailer, p),
                "TZ" => push_text(&mut v.time_zone, p),
                "GEO" => v.geo.push(Geo {
                    lat: child_text(p, "LAT"),
                    lon: child_text(p, "LON"),
                }),
                "TITLE" => push_text(&mut v.title, p),
                "ROLE" => push_text(&mut v.role, p),
                "LOGO" => v.logo.push(image_of(p)),
                "AGENT" => v.agent.push(Agent {
                    vcard: p
                        .get_child("vCard", ns::VCARD)
                        .map(|c| Box::new(Vcard::from_element(c))),
                    ext_value: child_text(p, "EXTVAL"),
                }),
                "ORG" => v.org.push(Organization {
                    name: child_text(p, "ORGNAME"),
                    units: children_text(p, "ORGUNIT"),
                }),
                "CATEGORIES" => v.categories.push(children_text(p, "KEYWORD")),
                "NOTE" => push_text(&mut v.note, p),
                "PRODID" => push_text(&mut v.prod_id, p),
                "REV" => push_text(&mut v.rev, p),
                "SORT-STRING" | "SOR" => push_text(&mut v.sort_string, p),
                "SOUND" => v.sound.push(Sound {
                    phonetic: child_text(p, "PHONETIC"),
                    bin_value: child_text(p, "BINVAL"),
                    ext_value: child_text(p, "EXTVAL"),
                }),
                "UID" => push_text(&mut v.uid, p),
                "URL" => push_text(&mut v.url, p),
                "DESC" => push_text(&mut v.desc, p),
                "CLASS" => v.class.push(flags_of(p, CLASS_FLAGS)),
                "KEY" => v.key.push(Key {
                    ty: child_text(p, "TYPE"),
                    credential: child_text(p, "CRED"),
                }),
                _ => {}
            }
        }
        v
    }
}

/// The text of a property holding only text (`None` if it is empty or holds elements).
fn text_of(p: &Element) -> Option<String> {
    (p.nodes().next().is_some() && p.children().next().is_none()).then(|| p.text())
}

fn push_text(list: &mut Vec<String>, p: &Element) {
    if let Some(t) = text_of(p) {
        list.push(t);
    }
}

fn child_text(p: &Element, name: &str) -> Option<String> {
    p.get_child(name, ns::VCARD).and_then(text_of)
}

fn children_text(p: &Element, name: &str) -> Vec<String> {
    p.children()
        .filter(|c| c.is(name, ns::VCARD))
        .filter_map(text_of)
        .collect()
}

/// Flags of ADR and LABEL.
pub const ADDRESS_FLAGS: &[&str] = &["HOME", "WORK", "POSTAL", "PARCEL", "DOM", "PREF", "INTL"];
/// Flags of TEL.
pub const TELEPHONE_FLAGS: &[&str] = &[
    "HOME", "WORK", "VOICE", "FAX", "PAGER", "MSG", "CELL", "VIDEO", "BBS", "MODEM", "ISDN", "PCS",
    "PREF",
];
/// Flags of EMAIL.
pub const EMAIL_FLAGS: &[&str] = &["HOME", "WORK", "INTERNET", "PREF", "X400"];
/// Flags of CLASS.
pub const CLASS_FLAGS: &[&str] = &["PUBLIC", "PRIVATE", "CONFIDENTIAL"];

/// The known flag elements of a property (empty elements such as `<HOME/>`).
fn flags_of(p: &Element, known: &[&str]) -> Vec<String> {
    p.children()
        .filter(|c| c.ns() == ns::VCARD && c.nodes().next().is_none())
        .filter(|c| known.contains(&c.name()))
        .map(|c| c.name().to_owned())
        .collect()
}

fn image_of(p: &Element) -> Image {
    Image {
        ty: child_text(p, "TYPE"),
        bin_value: child_text(p, "BINVAL"),
        ext_value: child_text(p, "EXTVAL"),
    }
}

/// `user_not_found`, MongooseIM's code for an unknown user or domain in this category.
fn check_user_error(message: &str) -> CommandError {
    CommandError::not_found("user_not_found", message)
}

async fn vcard_owner(server: &Server, jid: &str) -> CommandResult<BareJid> {
    let user = Jid::new(jid)
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid))?
        .to_bare();
    if user.node().is_none() || !server.is_served_domain(user.domain().as_str()) {
        return Err(check_user_error("User's domain does not exist"));
    }
    let exists = server
        .user_exists(&user)
        .await
        .map_err(|e| CommandError::internal("user lookup", e))?;
    if !exists {
        return Err(check_user_error("Given user does not exist"));
    }
    Ok(user)
}

async fn stored(server: &Server, user: &BareJid) -> CommandResult<Vcard> {
    let Some(xml) = server.store().vcard_get(user.as_str()).await? else {
        return Err(CommandError::not_found(
            "vcard_not_found",
            "Vcard for user not found",
        ));
    };
    let card = Element::parse_str(&xml, &ParseLimits::default())
        .map_err(|e| CommandError::internal("vcard read", e))?;
    Ok(Vcard::from_element(&card))
}

/// The user's vCard (`vcard_not_found` when none was ever set).
pub async fn get_vcard(server: &Server, user: &str) -> CommandResult<Vcard> {
    super::require_modules(server, &["mod_vcard"])?;
    let user = vcard_owner(server, user).await?;
    stored(server, &user).await
}

/// Replaces the user's vCard (the one vcard-temp IQs read) and returns it as stored.
pub async fn set_vcard(server: &Server, user: &str, vcard: &Vcard) -> CommandResult<Vcard> {
    super::require_modules(server, &["mod_vcard"])?;
    let user = vcard_owner(server, user).await?;
    server
        .store()
        .vcard_set(user.as_str(), &vcard.to_element().to_xml())
        .await?;
    stored(server, &user).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Vcard {
        Vcard {
            formatted_name: Some("Alice A.".into()),
            name_components: Some(NameComponents {
                family: Some("Liddell".into()),
                given: Some("Alice".into()),
                middle: None,
                prefix: Some("Ms".into()),
                suffix: None,
            }),
            nickname: vec!["al".into(), "ali".into()],
            photo: vec![
                Image {
                    ty: Some("image/png".into()),
                    bin_value: Some("iVBORw0KGgo=".into()),
                    ext_value: None,
                },
                Image {
                    ext_value: Some("https://example.org/a.png".into()),
                    ..Image::default()
                },
            ],
            birthday: vec!["1852-05-04".into()],
            address: vec![Address {
                tags: vec!["HOME".into(), "PREF".into()],
                street: Some("Rabbit Hole 1".into()),
                country: Some("UK".into()),
                ..Address::default()
            }],
            label: vec![Label {
                tags: vec!["WORK".into()],
                lines: vec!["line 1".into(), "line 2".into()],
            }],
            telephone: vec![Telephone {
                tags: vec!["CELL".into()],
                number: Some("+44 1".into()),
            }],
            email: vec![Email {
                tags: vec!["INTERNET".into()],
                user_id: Some("alice@example.org".into()),
            }],
            jabber_id: vec!["alice@localhost".into()],
            mailer: vec!["m".into()],
            time_zone: vec!["+01:00".into()],
            geo: vec![Geo {
                lat: Some("51.7".into()),
                lon: Some("-1.25".into()),
            }],
            title: vec!["t".into()],
            role: vec!["r".into()],
            logo: vec![Image {
                ty: Some("image/gif".into()),
                bin_value: Some("R0lG".into()),
                ext_value: None,
            }],
            agent: vec![
                Agent {
                    vcard: Some(Box::new(Vcard {
                        formatted_name: Some("Agent".into()),
                        ..Vcard::default()
                    })),
                    ext_value: None,
                },
                Agent {
                    vcard: None,
                    ext_value: Some("xmpp:agent@localhost".into()),
                },
            ],
            org: vec![Organization {
                name: Some("Wonderland".into()),
                units: vec!["Tea".into(), "Party".into()],
            }],
            categories: vec![vec!["a".into(), "b".into()]],
            note: vec!["n".into()],
            prod_id: vec!["p".into()],
            rev: vec!["2020-01-01T00:00:00Z".into()],
            sort_string: vec!["Liddell".into()],
            sound: vec![
                Sound {
                    phonetic: Some("a-lis".into()),
                    ..Sound::default()
                },
                Sound {
                    bin_value: Some("AAAA".into()),
                    ..Sound::default()
                },
            ],
            uid: vec!["u".into()],
            url: vec!["https://example.org".into()],
            desc: vec!["d".into()],
            class: vec![vec!["CONFIDENTIAL".into()]],
            key: vec![Key {
                ty: Some("x509".into()),
                credential: Some("KEY".into()),
            }],
        }
    }

    #[test]
    fn xml_round_trip() {
        let v = full();
        let xml = v.to_element().to_xml();
        let parsed = Element::parse_str(&xml, &ParseLimits::default()).unwrap();
        assert_eq!(Vcard::from_element(&parsed), v);
        assert!(xml.starts_with("<vCard xmlns='vcard-temp'><FN>Alice A.</FN><N><FAMILY>"));
        assert!(
            xml.contains("<ADR><HOME/><PREF/><STREET>Rabbit Hole 1</STREET><CTRY>UK</CTRY></ADR>")
        );
        assert!(xml.contains("<SORT-STRING>Liddell</SORT-STRING>"));
        assert!(xml.contains("<AGENT><vCard><FN>Agent</FN></vCard></AGENT>"));
        assert!(xml.contains("<CLASS><CONFIDENTIAL/></CLASS>"));
    }

    #[test]
    fn reads_client_cards() {
        let xml = "<vCard xmlns='vcard-temp'><FN>Bob</FN><SOR>b</SOR><NICKNAME><x/></NICKNAME>\
                   <X-CUSTOM>y</X-CUSTOM><TEL><WORK/><VOICE/><X-FLAG/><NUMBER>1</NUMBER></TEL></vCard>";
        let v = Vcard::from_element(&Element::parse_str(xml, &ParseLimits::default()).unwrap());
        assert_eq!(v.formatted_name.as_deref(), Some("Bob"));
        assert_eq!(v.sort_string, ["b"]);
        assert!(v.nickname.is_empty());
        assert_eq!(v.telephone[0].tags, ["WORK", "VOICE"]);
        assert_eq!(v.telephone[0].number.as_deref(), Some("1"));
    }
}
