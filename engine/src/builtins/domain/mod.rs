//! Domain algorithms behind the builtins: image references, quantities, durations and
//! timestamps, CIDRs, globs, shell lines, entropy, label selectors and semver. Pure, no I/O.

pub mod cidr;
pub mod duration;
pub mod entropy;
pub mod glob;
pub mod image_ref;
pub mod quantity;
pub mod selector;
pub mod semver_ext;
pub mod shell;
