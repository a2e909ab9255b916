//! The typed values of policy options, each written the way a shell user
//! types it (`256M`, `5s`, `CAP_NET_BIND_SERVICE`, `KEY=VALUE`). Each type
//! parses from the command line (`FromStr`) and reads and writes itself in a
//! policy file as the same text, so a printed policy reads back unchanged.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Units of a size, largest first: sizes print in the largest unit that
/// divides them exactly, so that printing never rounds.
const SIZE_UNITS: [(&str, u64); 4] = [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];

/// A byte count: `4096`, `64K`, `256M`, `1.5G`. Suffixes are powers of 1024
/// (`M` and `MiB` are the same), as `ulimit` and container runtimes use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Size(pub u64);

impl FromStr for Size {
    type Err = String;

    fn from_str(text: &str) -> Result<Size, String> {
        parse_size::Config::new()
            .with_binary()
            .parse_size(text)
            .map(Size)
            .map_err(|_| "not a size (use e.g. 256M, 1G)".to_string())
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match SIZE_UNITS.iter().find(|(_, unit)| self.0 != 0 && self.0 % unit == 0) {
            Some((suffix, unit)) => write!(f, "{}{suffix}", self.0 / unit),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A TCP port on the command line; in a policy file the same check is
/// made when the policy is built.
pub fn port(text: &str) -> Result<u16, String> {
    text.parse().ok().filter(|&port| port != 0).ok_or_else(|| PORT_RANGE.to_string())
}

pub const PORT_RANGE: &str = "not a TCP port (use 1-65535)";

/// A duration: `500ms`, `5s`, `2m`, `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timeout(pub Duration);

impl FromStr for Timeout {
    type Err = String;

    fn from_str(text: &str) -> Result<Timeout, String> {
        humantime::parse_duration(text).map(Timeout).map_err(|_| "not a duration (use e.g. 500ms, 5s, 2m)".to_string())
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A capability by name, with or without `CAP_`, in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Capability(pub caps::Capability);

impl FromStr for Capability {
    type Err = String;

    fn from_str(text: &str) -> Result<Capability, String> {
        caps::to_canonical(text)
            .parse()
            .map(Capability)
            .map_err(|_| "not a capability (use a name from capabilities(7), e.g. CAP_NET_BIND_SERVICE)".to_string())
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One environment variable, `KEY=VALUE` (the value may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvVar {
    pub key: String,
    pub value: String,
}

impl FromStr for EnvVar {
    type Err = String;

    fn from_str(text: &str) -> Result<EnvVar, String> {
        match text.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok(EnvVar { key: key.into(), value: value.into() }),
            _ => Err("not KEY=VALUE".to_string()),
        }
    }
}

impl fmt::Display for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// A user or group: a number, or a name looked up in the account database.
/// A policy file keeps what was written, so a reviewed file says `nobody`
/// rather than whatever number `nobody` has on the machine that printed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Account {
    Id(u32),
    Name(String),
}

impl FromStr for Account {
    type Err = String;

    fn from_str(text: &str) -> Result<Account, String> {
        if text.is_empty() {
            return Err("empty (use a number or a name)".to_string());
        }
        Ok(text.parse().map(Account::Id).unwrap_or_else(|_| Account::Name(text.to_string())))
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Id(id) => id.fmt(f),
            Account::Name(name) => name.fmt(f),
        }
    }
}

/// An absolute path. On the command line a relative path is taken from the
/// current directory (as every shell tool does); in a policy file it is an
/// error, since a file read from elsewhere would mean something else.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AbsPath(pub PathBuf);

impl FromStr for AbsPath {
    type Err = String;

    fn from_str(text: &str) -> Result<AbsPath, String> {
        if text.is_empty() {
            return Err("empty path".to_string());
        }
        std::path::absolute(text).map(AbsPath).map_err(|e| e.to_string())
    }
}

impl fmt::Display for AbsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

/// From a policy file: the path must already be absolute.
impl TryFrom<String> for AbsPath {
    type Error = String;

    fn try_from(text: String) -> Result<AbsPath, String> {
        let path = PathBuf::from(text);
        if !path.is_absolute() {
            return Err(format!("{}: must be an absolute path", path.display()));
        }
        Ok(AbsPath(path))
    }
}

/// The `try_from`/`into` String conversions serde uses for the text-valued types.
macro_rules! text_conversions {
    ($($ty:ty),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = String;

            fn try_from(text: String) -> Result<$ty, String> {
                text.parse().map_err(|e| format!("{text}: {e}"))
            }
        }
    )*
    $(
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.to_string()
            }
        }
    )*
    };
}

text_conversions!(Size, Timeout, Capability, EnvVar);

impl From<AbsPath> for String {
    fn from(path: AbsPath) -> String {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_in_the_largest_exact_unit_and_read_back() {
        for (text, bytes, printed) in
            [("256M", 256 << 20, "256M"), ("1G", 1 << 30, "1G"), ("1.5G", 3 << 29, "1536M"), ("1000", 1000, "1000")]
        {
            let size: Size = text.parse().unwrap();
            assert_eq!(size.0, bytes);
            assert_eq!(size.to_string(), printed);
            assert_eq!(printed.parse::<Size>().unwrap(), size);
        }
        assert!("12Q".parse::<Size>().is_err());
    }

    #[test]
    fn durations_read_back_as_printed() {
        for text in ["500ms", "5s", "1m 30s", "2h"] {
            let timeout: Timeout = text.parse().unwrap();
            assert_eq!(timeout.to_string().parse::<Timeout>().unwrap(), timeout);
        }
        assert_eq!("90s".parse::<Timeout>().unwrap().to_string(), "1m 30s");
        assert!("5 parsecs".parse::<Timeout>().is_err());
    }

    #[test]
    fn capabilities_take_any_case_with_or_without_the_prefix() {
        let cap: Capability = "net_bind_service".parse().unwrap();
        assert_eq!(cap.to_string(), "CAP_NET_BIND_SERVICE");
        assert_eq!("CAP_NET_BIND_SERVICE".parse::<Capability>().unwrap(), cap);
        assert!("CAP_NOPE".parse::<Capability>().is_err());
    }

    #[test]
    fn env_vars_split_at_the_first_equals_sign() {
        let var: EnvVar = "A=b=c".parse().unwrap();
        assert_eq!((var.key.as_str(), var.value.as_str()), ("A", "b=c"));
        assert!("A".parse::<EnvVar>().is_err());
        assert!("=x".parse::<EnvVar>().is_err());
    }

    #[test]
    fn policy_file_paths_must_be_absolute() {
        assert!(AbsPath::try_from("/usr".to_string()).is_ok());
        assert!(AbsPath::try_from("usr".to_string()).is_err());
        assert!("usr".parse::<AbsPath>().unwrap().0.is_absolute());
    }
}
