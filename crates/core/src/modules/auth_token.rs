//! mod_auth_token: its options and its presence. The tokens themselves (format, MAC,
//! sequence numbers, the X-OAUTH check) are in [`crate::auth_token`]; SASL offers
//! X-OAUTH and the token API works only while this module is loaded.

use crate::config::{Diagnostics, Section};
use crate::module::{Module, ModuleContext, ModuleSpec, Registrar};
use std::time::Duration;

/// `[modules.mod_auth_token]` options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthTokenSettings {
    /// `validity_period.access` (default 1 hour).
    pub access_validity: Duration,
    /// `validity_period.refresh` (default 25 days).
    pub refresh_validity: Duration,
}

impl Default for AuthTokenSettings {
    fn default() -> Self {
        AuthTokenSettings {
            access_validity: Duration::from_secs(3600),
            refresh_validity: Duration::from_secs(25 * 24 * 3600),
        }
    }
}

/// The loaded mod_auth_token.
#[derive(Debug)]
pub struct AuthToken {
    /// Its options.
    pub settings: AuthTokenSettings,
}

impl ModuleSpec for AuthToken {
    const NAME: &'static str = "mod_auth_token";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc", "backend"];
    type Config = AuthTokenSettings;
    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config {
        read_settings(s, diag)
    }
    fn build(config: &Self::Config, _cx: &ModuleContext) -> Self {
        AuthToken { settings: *config }
    }
}

impl Module for AuthToken {
    fn register(&self, _r: &mut Registrar) {}
}

/// `validity_period.{access,refresh} = {value = N, unit = "..."}`.
fn read_settings(s: &mut Section<'_>, diag: &mut Diagnostics) -> AuthTokenSettings {
    let mut settings = AuthTokenSettings::default();
    if let Some(mut periods) = s.table_opt("validity_period", diag) {
        for (key, slot) in [
            ("access", &mut settings.access_validity),
            ("refresh", &mut settings.refresh_validity),
        ] {
            let Some(mut p) = periods.table_opt(key, diag) else {
                continue;
            };
            let value: Option<u64> = p.req("value", diag);
            let unit: Option<String> = p.req("unit", diag);
            let factor = match unit.as_deref() {
                Some("days") => Some(24 * 3600),
                Some("hours") => Some(3600),
                Some("minutes") => Some(60),
                Some("seconds") => Some(1),
                Some(other) => {
                    diag.error(
                        p.key_path("unit"),
                        format!("expected days, hours, minutes or seconds, found \"{other}\""),
                    );
                    None
                }
                None => None,
            };
            if let (Some(v), Some(f)) = (value, factor) {
                *slot = Duration::from_secs(v.saturating_mul(f));
            }
            p.finish(diag);
        }
        periods.finish(diag);
    }
    settings
}
