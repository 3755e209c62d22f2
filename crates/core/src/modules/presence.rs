//! mod_presence: accepted so that MongooseIM configs load; presence handling itself
//! (subscriptions, broadcasts, probes) is the core's (`crate::presence`), always on.

use crate::config::{Diagnostics, Section};
use crate::module::{Module, ModuleContext, ModuleSpec, Registrar};

/// The loaded mod_presence.
#[derive(Debug)]
pub struct Presence;

impl ModuleSpec for Presence {
    const NAME: &'static str = "mod_presence";
    type Config = ();
    fn read_config(_s: &mut Section<'_>, _diag: &mut Diagnostics) -> Self::Config {}
    fn build(_config: &Self::Config, _cx: &ModuleContext) -> Self {
        Presence
    }
}

impl Module for Presence {
    fn register(&self, _r: &mut Registrar) {}
}
