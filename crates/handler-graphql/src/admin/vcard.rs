//! `vcard` category (admin): MongooseIM's `admin/vcard.gql`, with the full `Vcard` /
//! `VcardInput` types of `global/vcard.gql` mapped to and from the command layer's
//! [`meerkat_core::commands::vcard::Vcard`] (itself the vcard-temp XML clients read).

use super::roster::with_context;
use crate::context::{Ctx, IntoField};
use crate::scalars::JidScalar;
use juniper::{FieldResult, GraphQLEnum, GraphQLInputObject, GraphQLObject, GraphQLUnion};
use meerkat_core::commands::vcard as core;

/// Declares a flag enum with its XML element names.
macro_rules! flag_enum {
    ($(#[$doc:meta])* $name:ident, $gql:tt, [$($(#[$vdoc:meta])* $variant:ident = $s:tt),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
        #[graphql(name = $gql)]
        pub enum $name {
            $( $(#[$vdoc])* #[graphql(name = $s)] $variant, )*
        }

        impl $name {
            /// The XML flag element name.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s, )* }
            }
            /// From an XML flag element name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $s => Some($name::$variant), )* _ => None }
            }
        }
    };
}

flag_enum!(
    /// Specifies type of an address.
    AddressTags, "AddressTags", [
        /// Place of residence address.
        Home = "HOME",
        /// Workplace adress.
        Work = "WORK",
        /// Postal code.
        Postal = "POSTAL",
        /// Parcel delivery address.
        Parcel = "PARCEL",
        /// Domestic delivery address.
        Dom = "DOM",
        /// Preferred delivery address when more than one address is specified.
        Pref = "PREF",
        /// International delivery address.
        Intl = "INTL",
    ]
);

flag_enum!(
    /// Specifies intended use of a telphone number.
    TelephoneTags, "TelephoneTags", [
        /// Number associated with a residence.
        Home = "HOME",
        /// Number associated with a workplace.
        Work = "WORK",
        /// Voice telephone number.
        Voice = "VOICE",
        /// Facsimile telephone number.
        Fax = "FAX",
        /// Paging device telephone number.
        Pager = "PAGER",
        /// Number has voice messaging support.
        Msg = "MSG",
        /// Cellular telephone number.
        Cell = "CELL",
        /// Video conferencing telephone number.
        Video = "VIDEO",
        /// Bulletin board system telephone number.
        Bbs = "BBS",
        /// Modem connected telephone number.
        Modem = "MODEM",
        /// ISDN service telephone number.
        Isdn = "ISDN",
        /// Personal communication services telephone number.
        Pcs = "PCS",
        /// Preferred use of a telephone number.
        Pref = "PREF",
    ]
);

flag_enum!(
    /// Format or preference of an email.
    EmailTags, "EmailTags", [
        /// Address associated with a residence.
        Home = "HOME",
        /// Address associated with a place of work.
        Work = "WORK",
        /// Internet addressing type.
        Internet = "INTERNET",
        /// Preferred use of an email address when more than one is specified.
        Pref = "PREF",
        /// X.400 addressing type.
        X400 = "X400",
    ]
);

flag_enum!(
    /// Privacy classification of a vCard.
    PrivacyClassificationTags, "PrivacyClassificationTags", [
        /// vCard may be shared with everyone.
        Public = "PUBLIC",
        /// vCard will not be shared.
        Private = "PRIVATE",
        /// vCard may be shared with allowed users.
        Confidential = "CONFIDENTIAL",
    ]
);

// ---------------------------------------------------------------- output types

/// Keywords of a category.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Keyword")]
pub struct Keyword {
    /// Keywords list.
    pub keyword: Option<Vec<Option<String>>>,
}

/// Person's name details.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "NameComponents")]
pub struct NameComponents {
    /// User's family name.
    pub family: Option<String>,
    /// User's name.
    #[graphql(name = "givenName")]
    pub given_name: Option<String>,
    /// User's middle name.
    #[graphql(name = "middleName")]
    pub middle_name: Option<String>,
    /// Prefix to the name.
    pub prefix: Option<String>,
    /// Suffix to the name.
    pub suffix: Option<String>,
}

/// An address.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Address")]
pub struct Address {
    /// Address tags.
    pub tags: Option<Vec<Option<AddressTags>>>,
    /// Post office box.
    pub pobox: Option<String>,
    /// Extra address data.
    pub extadd: Option<String>,
    /// Street name.
    pub street: Option<String>,
    /// Locality (e.g. city).
    pub locality: Option<String>,
    /// Region name.
    pub region: Option<String>,
    /// Postal code.
    pub pcode: Option<String>,
    /// Country name.
    pub country: Option<String>,
}

/// Formatted text corresponding to a delivery address.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Label")]
pub struct Label {
    /// Label tags.
    pub tags: Option<Vec<Option<AddressTags>>>,
    /// Individual label lines.
    pub line: Option<Vec<Option<String>>>,
}

/// A telephone number.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Telephone")]
pub struct Telephone {
    /// Telephone tags.
    pub tags: Option<Vec<Option<TelephoneTags>>>,
    /// Telephone's number.
    pub number: Option<String>,
}

/// An email address.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Email")]
pub struct Email {
    /// Email tags.
    pub tags: Option<Vec<Option<EmailTags>>>,
    /// Email address.
    #[graphql(name = "userId")]
    pub user_id: Option<String>,
}

/// An image given inline.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "ImageData")]
pub struct ImageData {
    /// Format type parameter.
    #[graphql(name = "type")]
    pub ty: Option<String>,
    /// Base64 encoded binary image.
    #[graphql(name = "binValue")]
    pub bin_value: Option<String>,
}

/// A link to an external value.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "External")]
pub struct External {
    /// URI to an external value.
    #[graphql(name = "extValue")]
    pub ext_value: Option<String>,
}

/// A textual phonetic pronunciation.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Phonetic")]
pub struct Phonetic {
    /// Textual phonetic pronunciation.
    pub phonetic: Option<String>,
}

/// A value in binary form.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "BinValue")]
pub struct BinValue {
    /// Value in binary form.
    #[graphql(name = "binValue")]
    pub bin_value: Option<String>,
}

/// Agent vCard.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "AgentVcard")]
pub struct AgentVcard {
    /// vCard data.
    pub vcard: Option<Box<Vcard>>,
}

/// Specifies how image is stored.
#[derive(Clone, Debug, GraphQLUnion)]
#[graphql(name = "Image")]
pub enum Image {
    /// Inline.
    ImageData(ImageData),
    /// Linked.
    External(External),
}

/// Specifies how sound is stored.
#[derive(Clone, Debug, GraphQLUnion)]
#[graphql(name = "Sound")]
pub enum Sound {
    /// Phonetic text.
    Phonetic(Phonetic),
    /// Inline.
    BinValue(BinValue),
    /// Linked.
    External(External),
}

/// Specifies how agent is stored.
#[derive(Clone, Debug, GraphQLUnion)]
#[graphql(name = "Agent")]
pub enum Agent {
    /// Embedded vCard.
    AgentVcard(AgentVcard),
    /// Linked.
    External(External),
}

/// Geographical position.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "GeographicalPosition")]
pub struct GeographicalPosition {
    /// Geographical latitude.
    pub lat: Option<String>,
    /// Geographical longtitude.
    pub lon: Option<String>,
}

/// Organizational name and units.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Organization")]
pub struct Organization {
    /// Organization name.
    pub orgname: Option<String>,
    /// Organization unit.
    pub orgunit: Option<Vec<Option<String>>>,
}

/// Privacy classification.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Privacy")]
pub struct Privacy {
    /// List of privacy classification tags.
    pub tags: Option<Vec<Option<PrivacyClassificationTags>>>,
}

/// Authentication credential or encryption key.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Key")]
pub struct Key {
    /// Type of a key.
    #[graphql(name = "type")]
    pub ty: Option<String>,
    /// Key credential.
    pub credential: Option<String>,
}

/// A vCard (vcard-temp, XEP-0054).
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Vcard")]
pub struct Vcard {
    /// Formatted name from Vcard.
    #[graphql(name = "formattedName")]
    pub formatted_name: Option<String>,
    /// Person's name details.
    #[graphql(name = "nameComponents")]
    pub name_components: Option<NameComponents>,
    /// User's nickname.
    pub nickname: Option<Vec<Option<String>>>,
    /// User's photo.
    pub photo: Option<Vec<Option<Image>>>,
    /// Birthday date.
    pub birthday: Option<Vec<Option<String>>>,
    /// User's addresses.
    pub address: Option<Vec<Option<Address>>>,
    /// Formatted text corresponding to delivery address.
    pub label: Option<Vec<Option<Label>>>,
    /// User's telephone number.
    pub telephone: Option<Vec<Option<Telephone>>>,
    /// User's email.
    pub email: Option<Vec<Option<Email>>>,
    /// User's JID.
    #[graphql(name = "jabberId")]
    pub jabber_id: Option<Vec<Option<String>>>,
    /// User's mail agent type.
    pub mailer: Option<Vec<Option<String>>>,
    /// User's timezone.
    #[graphql(name = "timeZone")]
    pub time_zone: Option<Vec<Option<String>>>,
    /// Geographical position.
    pub geo: Option<Vec<Option<GeographicalPosition>>>,
    /// Job title, functional position or function.
    pub title: Option<Vec<Option<String>>>,
    /// User's role, occupation, or business category.
    pub role: Option<Vec<Option<String>>>,
    /// Logo image.
    pub logo: Option<Vec<Option<Image>>>,
    /// Person who will act on behalf of the user or resource associated with the vCard.
    pub agent: Option<Vec<Option<Agent>>>,
    /// Organizational name and units associated.
    pub org: Option<Vec<Option<Organization>>>,
    /// Application specific category information.
    pub categories: Option<Vec<Option<Keyword>>>,
    /// Note about user.
    pub note: Option<Vec<Option<String>>>,
    /// Identifier of product that generated the vCard property.
    #[graphql(name = "prodId")]
    pub prod_id: Option<Vec<Option<String>>>,
    /// Last revised property. The value must be an ISO 8601 formatted UTC date/time.
    pub rev: Option<Vec<Option<String>>>,
    /// Sort string property.
    #[graphql(name = "sortString")]
    pub sort_string: Option<Vec<Option<String>>>,
    /// Formatted name pronunciation property.
    pub sound: Option<Vec<Option<Sound>>>,
    /// Unique identifier property.
    pub uid: Option<Vec<Option<String>>>,
    /// Directory URL property.
    pub url: Option<Vec<Option<String>>>,
    /// Free-form descriptive text.
    pub desc: Option<Vec<Option<String>>>,
    /// Privacy classification property.
    #[graphql(name = "class")]
    pub class: Option<Vec<Option<Privacy>>>,
    /// Authentication credential or encryption  key property.
    pub key: Option<Vec<Option<Key>>>,
}

/// A list field: `null` when the vCard has no such property (as MongooseIM answers).
fn list<T, U>(
    items: impl IntoIterator<Item = T>,
    f: impl Fn(T) -> Option<U>,
) -> Option<Vec<Option<U>>> {
    let v: Vec<Option<U>> = items.into_iter().map(f).collect();
    (!v.is_empty()).then_some(v)
}

fn strings(items: Vec<String>) -> Option<Vec<Option<String>>> {
    list(items, Some)
}

fn tags<T>(items: Vec<String>, parse: fn(&str) -> Option<T>) -> Option<Vec<Option<T>>> {
    list(items.into_iter().filter_map(|s| parse(&s)), Some)
}

fn image(i: core::Image) -> Option<Image> {
    Some(if i.ext_value.is_some() && i.bin_value.is_none() {
        Image::External(External {
            ext_value: i.ext_value,
        })
    } else {
        Image::ImageData(ImageData {
            ty: i.ty,
            bin_value: i.bin_value,
        })
    })
}

impl From<core::Vcard> for Vcard {
    fn from(v: core::Vcard) -> Vcard {
        Vcard {
            formatted_name: v.formatted_name,
            name_components: v.name_components.map(|n| NameComponents {
                family: n.family,
                given_name: n.given,
                middle_name: n.middle,
                prefix: n.prefix,
                suffix: n.suffix,
            }),
            nickname: strings(v.nickname),
            photo: list(v.photo, image),
            birthday: strings(v.birthday),
            address: list(v.address, |a| {
                Some(Address {
                    tags: tags(a.tags, AddressTags::parse),
                    pobox: a.pobox,
                    extadd: a.extadd,
                    street: a.street,
                    locality: a.locality,
                    region: a.region,
                    pcode: a.pcode,
                    country: a.country,
                })
            }),
            label: list(v.label, |l| {
                Some(Label {
                    tags: tags(l.tags, AddressTags::parse),
                    line: strings(l.lines),
                })
            }),
            telephone: list(v.telephone, |t| {
                Some(Telephone {
                    tags: tags(t.tags, TelephoneTags::parse),
                    number: t.number,
                })
            }),
            email: list(v.email, |e| {
                Some(Email {
                    tags: tags(e.tags, EmailTags::parse),
                    user_id: e.user_id,
                })
            }),
            jabber_id: strings(v.jabber_id),
            mailer: strings(v.mailer),
            time_zone: strings(v.time_zone),
            geo: list(v.geo, |g| {
                Some(GeographicalPosition {
                    lat: g.lat,
                    lon: g.lon,
                })
            }),
            title: strings(v.title),
            role: strings(v.role),
            logo: list(v.logo, image),
            agent: list(v.agent, |a| {
                Some(match a.vcard {
                    Some(card) => Agent::AgentVcard(AgentVcard {
                        vcard: Some(Box::new(Vcard::from(*card))),
                    }),
                    None => Agent::External(External {
                        ext_value: a.ext_value,
                    }),
                })
            }),
            org: list(v.org, |o| {
                Some(Organization {
                    orgname: o.name,
                    orgunit: strings(o.units),
                })
            }),
            categories: list(v.categories, |k| {
                Some(Keyword {
                    keyword: strings(k),
                })
            }),
            note: strings(v.note),
            prod_id: strings(v.prod_id),
            rev: strings(v.rev),
            sort_string: strings(v.sort_string),
            sound: list(v.sound, |s| {
                Some(if s.phonetic.is_some() {
                    Sound::Phonetic(Phonetic {
                        phonetic: s.phonetic,
                    })
                } else if s.bin_value.is_some() {
                    Sound::BinValue(BinValue {
                        bin_value: s.bin_value,
                    })
                } else {
                    Sound::External(External {
                        ext_value: s.ext_value,
                    })
                })
            }),
            uid: strings(v.uid),
            url: strings(v.url),
            desc: strings(v.desc),
            class: list(v.class, |c| {
                Some(Privacy {
                    tags: tags(c, PrivacyClassificationTags::parse),
                })
            }),
            key: list(v.key, |k| {
                Some(Key {
                    ty: k.ty,
                    credential: k.credential,
                })
            }),
        }
    }
}

// ---------------------------------------------------------------- input types

/// Keywords list input.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "KeywordInput")]
pub struct KeywordInput {
    /// Keywords list.
    pub keyword: Option<Vec<String>>,
}

/// Person's name details.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "NameComponentsInput")]
pub struct NameComponentsInput {
    /// User's family name.
    pub family: Option<String>,
    /// User's name.
    #[graphql(name = "givenName")]
    pub given_name: Option<String>,
    /// User's middle name.
    #[graphql(name = "middleName")]
    pub middle_name: Option<String>,
    /// Prefix to the name.
    pub prefix: Option<String>,
    /// Suffix to the name.
    pub suffix: Option<String>,
}

/// An address.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "AddressInput")]
pub struct AddressInput {
    /// Address tags.
    pub tags: Option<Vec<AddressTags>>,
    /// Post office box.
    pub pobox: Option<String>,
    /// Extra address data.
    pub extadd: Option<String>,
    /// Street name.
    pub street: Option<String>,
    /// Locality (e.g. city).
    pub locality: Option<String>,
    /// Region name.
    pub region: Option<String>,
    /// Postal code.
    pub pcode: Option<String>,
    /// Country name.
    pub country: Option<String>,
}

/// A delivery label.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "LabelInput")]
pub struct LabelInput {
    /// Label tags.
    pub tags: Option<Vec<AddressTags>>,
    /// Individual label lines.
    pub line: Vec<String>,
}

/// A telephone number.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "TelephoneInput")]
pub struct TelephoneInput {
    /// Telephone tags.
    pub tags: Option<Vec<TelephoneTags>>,
    /// Telephone's number.
    pub number: String,
}

/// An email address.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "EmailInput")]
pub struct EmailInput {
    /// Email tags.
    pub tags: Option<Vec<EmailTags>>,
    /// Email address.
    #[graphql(name = "userId")]
    pub user_id: String,
}

/// A geographical position.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "GeographicalPositionInput")]
pub struct GeographicalPositionInput {
    /// Geographical latitude.
    pub lat: String,
    /// Geographical longtitude.
    pub lon: String,
}

/// An organization.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "OrganizationInput")]
pub struct OrganizationInput {
    /// Organization name.
    pub orgname: String,
    /// Organization unit.
    pub orgunit: Option<Vec<String>>,
}

/// A privacy classification.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "PrivacyInput")]
pub struct PrivacyInput {
    /// Privacy classification tag list.
    pub tags: Option<Vec<PrivacyClassificationTags>>,
}

/// An image.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "ImageInput")]
pub struct ImageInput {
    /// Format type parameter.
    #[graphql(name = "type")]
    pub ty: Option<String>,
    /// Base64 encoded binary image.
    #[graphql(name = "binValue")]
    pub bin_value: Option<String>,
    /// Link to external image.
    #[graphql(name = "extValue")]
    pub ext_value: Option<String>,
}

/// A sound.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "SoundInput")]
pub struct SoundInput {
    /// Textual phonetic pronunciation.
    pub phonetic: Option<String>,
    /// Base64 encoded sound binary value.
    #[graphql(name = "binValue")]
    pub bin_value: Option<String>,
    /// Link to external audio file.
    #[graphql(name = "extValue")]
    pub ext_value: Option<String>,
}

/// An agent.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "AgentInput")]
pub struct AgentInput {
    /// Link to external vcard.
    #[graphql(name = "extValue")]
    pub ext_value: Option<String>,
    /// Individual vcard container.
    pub vcard: Option<VcardInput>,
}

/// A key.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "KeyInput")]
pub struct KeyInput {
    /// Type of input.
    #[graphql(name = "type")]
    pub ty: Option<String>,
    /// Credential or encryption key.
    pub credential: String,
}

/// A vCard to set.
#[derive(Clone, Debug, GraphQLInputObject)]
#[graphql(name = "VcardInput")]
pub struct VcardInput {
    /// Formatted name from Vcard.
    #[graphql(name = "formattedName")]
    pub formatted_name: String,
    /// Person's name details.
    #[graphql(name = "nameComponents")]
    pub name_components: NameComponentsInput,
    /// User's nickname.
    pub nickname: Option<Vec<Option<String>>>,
    /// User's photo.
    pub photo: Option<Vec<ImageInput>>,
    /// Birthday date.
    pub birthday: Option<Vec<String>>,
    /// User's address.
    pub address: Option<Vec<AddressInput>>,
    /// Formatted text corresponding to delivery address.
    pub label: Option<Vec<LabelInput>>,
    /// User's telephone number.
    pub telephone: Option<Vec<TelephoneInput>>,
    /// User's email.
    pub email: Option<Vec<EmailInput>>,
    /// User's JID.
    #[graphql(name = "jabberId")]
    pub jabber_id: Option<Vec<String>>,
    /// User's mail agent type.
    pub mailer: Option<Vec<String>>,
    /// User's timezone.
    #[graphql(name = "timeZone")]
    pub time_zone: Option<Vec<String>>,
    /// Geographical position.
    pub geo: Option<Vec<GeographicalPositionInput>>,
    /// Job title, functional position or function.
    pub title: Option<Vec<String>>,
    /// User's role, occupation, or business category.
    pub role: Option<Vec<String>>,
    /// Logo image.
    pub logo: Option<Vec<ImageInput>>,
    /// Person who will act on behalf of the user or resource associated with the vCard.
    pub agent: Option<Vec<AgentInput>>,
    /// Organizational name and units associated.
    pub org: Option<Vec<OrganizationInput>>,
    /// Application specific category information.
    pub categories: Option<Vec<KeywordInput>>,
    /// Note about user.
    pub note: Option<Vec<String>>,
    /// Identifier of product that generated the vCard property.
    #[graphql(name = "prodId")]
    pub prod_id: Option<Vec<String>>,
    /// Last revised property. The value must be an ISO 8601 formatted UTC date/time.
    pub rev: Option<Vec<String>>,
    /// Sort string property.
    #[graphql(name = "sortString")]
    pub sort_string: Option<Vec<String>>,
    /// Formatted name pronunciation property.
    pub sound: Option<Vec<SoundInput>>,
    /// Unique identifier property.
    pub uid: Option<Vec<String>>,
    /// Directory URL property.
    pub url: Option<Vec<String>>,
    /// Free-form descriptive text.
    pub desc: Option<Vec<String>>,
    /// Privacy classification property.
    #[graphql(name = "class")]
    pub class: Option<Vec<PrivacyInput>>,
    /// Authentication credential or encryption key property.
    pub key: Option<Vec<KeyInput>>,
}

fn all<T, U>(items: Option<Vec<T>>, f: impl Fn(T) -> U) -> Vec<U> {
    items.unwrap_or_default().into_iter().map(f).collect()
}

fn flag_names<T: Copy>(tags: Option<Vec<T>>, name: fn(T) -> &'static str) -> Vec<String> {
    all(tags, |t| name(t).to_owned())
}

impl From<VcardInput> for core::Vcard {
    fn from(v: VcardInput) -> core::Vcard {
        let image = |i: ImageInput| core::Image {
            ty: i.ty,
            bin_value: i.bin_value,
            ext_value: i.ext_value,
        };
        let n = v.name_components;
        core::Vcard {
            formatted_name: Some(v.formatted_name),
            name_components: Some(core::NameComponents {
                family: n.family,
                given: n.given_name,
                middle: n.middle_name,
                prefix: n.prefix,
                suffix: n.suffix,
            }),
            nickname: v
                .nickname
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect(),
            photo: all(v.photo, image),
            birthday: v.birthday.unwrap_or_default(),
            address: all(v.address, |a| core::Address {
                tags: flag_names(a.tags, AddressTags::as_str),
                pobox: a.pobox,
                extadd: a.extadd,
                street: a.street,
                locality: a.locality,
                region: a.region,
                pcode: a.pcode,
                country: a.country,
            }),
            label: all(v.label, |l| core::Label {
                tags: flag_names(l.tags, AddressTags::as_str),
                lines: l.line,
            }),
            telephone: all(v.telephone, |t| core::Telephone {
                tags: flag_names(t.tags, TelephoneTags::as_str),
                number: Some(t.number),
            }),
            email: all(v.email, |e| core::Email {
                tags: flag_names(e.tags, EmailTags::as_str),
                user_id: Some(e.user_id),
            }),
            jabber_id: v.jabber_id.unwrap_or_default(),
            mailer: v.mailer.unwrap_or_default(),
            time_zone: v.time_zone.unwrap_or_default(),
            geo: all(v.geo, |g| core::Geo {
                lat: Some(g.lat),
                lon: Some(g.lon),
            }),
            title: v.title.unwrap_or_default(),
            role: v.role.unwrap_or_default(),
            logo: all(v.logo, image),
            agent: all(v.agent, |a| core::Agent {
                vcard: a.vcard.map(|c| Box::new(core::Vcard::from(c))),
                ext_value: a.ext_value,
            }),
            org: all(v.org, |o| core::Organization {
                name: Some(o.orgname),
                units: o.orgunit.unwrap_or_default(),
            }),
            categories: all(v.categories, |k| k.keyword.unwrap_or_default()),
            note: v.note.unwrap_or_default(),
            prod_id: v.prod_id.unwrap_or_default(),
            rev: v.rev.unwrap_or_default(),
            sort_string: v.sort_string.unwrap_or_default(),
            sound: all(v.sound, |s| core::Sound {
                phonetic: s.phonetic,
                bin_value: s.bin_value,
                ext_value: s.ext_value,
            }),
            uid: v.uid.unwrap_or_default(),
            url: v.url.unwrap_or_default(),
            desc: v.desc.unwrap_or_default(),
            class: all(v.class, |c| {
                flag_names(c.tags, PrivacyClassificationTags::as_str)
            }),
            key: all(v.key, |k| core::Key {
                ty: k.ty,
                credential: Some(k.credential),
            }),
        }
    }
}

// ---------------------------------------------------------------- operations

/// `getVcard` for `user`.
pub async fn get(ctx: &Ctx, user: &str) -> FieldResult<Option<Vcard>> {
    let card = core::get_vcard(&ctx.server, user)
        .await
        .map_err(|e| with_context(e, &[("user", user)]))
        .field()?;
    Ok(Some(card.into()))
}

/// `setVcard` for `user`.
pub async fn set(ctx: &Ctx, user: &str, vcard: VcardInput) -> FieldResult<Option<Vcard>> {
    let card = core::set_vcard(&ctx.server, user, &vcard.into())
        .await
        .map_err(|e| with_context(e, &[("user", user)]))
        .field()?;
    Ok(Some(card.into()))
}

/// Allow admin to get the user's vcard.
pub struct VcardAdminQuery;

#[juniper::graphql_object(context = Ctx, name = "VcardAdminQuery")]
impl VcardAdminQuery {
    /// Get the user's vcard
    async fn get_vcard(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Vcard>> {
        ctx.guard("VcardAdminQuery.getVcard", &[("user", &user)])?;
        get(ctx, user.as_str()).await
    }
}

/// Allow admin to set user's vcard.
pub struct VcardAdminMutation;

#[juniper::graphql_object(context = Ctx, name = "VcardAdminMutation")]
impl VcardAdminMutation {
    /// Set a new vcard for a user
    async fn set_vcard(
        ctx: &Ctx,
        user: JidScalar,
        vcard: VcardInput,
    ) -> FieldResult<Option<Vcard>> {
        ctx.guard("VcardAdminMutation.setVcard", &[("user", &user)])?;
        set(ctx, user.as_str(), vcard).await
    }
}
