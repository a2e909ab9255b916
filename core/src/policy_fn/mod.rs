//! `policy_fn`: run-time decisions on what the child does. This module
//! holds, for now, the `deny_path` mechanism (`paths`); until the
//! `policy_fn` control handle calls it, only its tests do.
#![allow(dead_code)]

mod paths;
