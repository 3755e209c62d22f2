//! The XMPP modules meerkat implements, and the registry that lists them. A module is
//! one file here (its [`crate::module::Module`] and [`crate::module::ModuleSpec`]
//! impls), its storage area in [`crate::store`], and one line in [`BUILTIN`].

pub mod auth_token;
pub mod carbons;
pub mod disco;
pub mod last;
pub mod mam;
pub mod offline;
pub mod ping;
pub mod presence;
pub mod private;
pub mod roster;
pub mod vcard;

use crate::module::{ModuleDescriptor, descriptor};

/// Every module meerkat implements, in the order their hooks run when orders tie.
pub static BUILTIN: &[ModuleDescriptor] = &[
    descriptor::<roster::Roster>(),
    descriptor::<presence::Presence>(),
    descriptor::<offline::Offline>(),
    descriptor::<disco::Disco>(),
    descriptor::<ping::Ping>(),
    descriptor::<vcard::Vcard>(),
    descriptor::<private::Private>(),
    descriptor::<last::Last>(),
    descriptor::<carbons::Carbons>(),
    descriptor::<auth_token::AuthToken>(),
    descriptor::<mam::Mam>(),
];

#[cfg(test)]
mod tests {
    use super::BUILTIN;

    #[test]
    fn keys_are_unique_and_known_to_mongooseim() {
        let mut keys: Vec<&str> = BUILTIN
            .iter()
            .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
            .collect();
        for k in &keys {
            assert!(
                crate::config::known::MODULES.contains(k),
                "{k} is not a MongooseIM module"
            );
        }
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate module key in the registry");
    }
}
