//! User and group names to ids, through the C library's account lookup
//! (getpwnam_r / getgrnam_r via `nix`), so NSS sources work as for `id`.

use nix::unistd::{Group, User};

use crate::values::Account;

/// The uid of `account`.
pub fn uid(account: &Account) -> Result<u32, String> {
    match account {
        Account::Id(id) => Ok(*id),
        Account::Name(name) => name.parse().or_else(|_| user(name).map(|(uid, _)| uid)),
    }
}

/// The gid of `account`.
pub fn gid(account: &Account) -> Result<u32, String> {
    match account {
        Account::Id(id) => Ok(*id),
        Account::Name(name) => name.parse().or_else(|_| match Group::from_name(name) {
            Ok(Some(group)) => Ok(group.gid.as_raw()),
            Ok(None) => Err("no such group".to_string()),
            Err(e) => Err(format!("looking up the group: {e}")),
        }),
    }
}

/// The uid and primary gid of user `name`.
pub fn user(name: &str) -> Result<(u32, u32), String> {
    match User::from_name(name) {
        Ok(Some(user)) => Ok((user.uid.as_raw(), user.gid.as_raw())),
        Ok(None) => Err("no such user".to_string()),
        Err(e) => Err(format!("looking up the user: {e}")),
    }
}
