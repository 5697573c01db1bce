//! Ward.
