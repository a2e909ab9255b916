//! Policy files: the policy options as TOML, read with `--policy FILE` and
//! written by `sandlock policy print`.

use std::path::Path;

use crate::exit::Failure;
use crate::options::{describe_io, PolicyOptions};

/// Read `path`; an error is one line naming the file, the line and the
/// offending text.
pub fn load(path: &Path) -> Result<PolicyOptions, Failure> {
    let failure = |reason: String| Failure::usage(format!("--policy {}: {reason}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| failure(describe_io(&e)))?;
    toml::from_str(&text).map_err(|e| failure(locate(&text, &e)))
}

/// `line N: TEXT: message` for a TOML error, whose own rendering spans
/// several lines.
fn locate(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end();
    let Some(span) = error.span() else { return message.to_string() };
    let start = span.start.min(text.len());
    let line_number = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_number - 1).unwrap_or("").trim();
    format!("line {line_number}: {line}: {message}")
}

/// The options as a policy file.
pub fn print(options: &PolicyOptions) -> Result<String, Failure> {
    toml::to_string(options).map_err(|e| Failure::usage(format!("cannot write the policy as TOML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PolicyOptions, String> {
        toml::from_str(text).map_err(|e| locate(text, &e))
    }

    #[test]
    fn a_printed_policy_reads_back_the_same() {
        let options = parse(
            r#"
            read = ["/usr", "/etc"]
            connect = [443]
            timeout = "1m 30s"
            memory = "256M"
            uid = "nobody"
            gid = 65534
            keep_cap = ["CAP_NET_BIND_SERVICE"]
            env = ["LANG=C.UTF-8"]
            stdin = "null"
            no_ipc_scope = true
            "#,
        )
        .unwrap();
        let printed = print(&options).unwrap();
        assert_eq!(parse(&printed).unwrap(), options);
        assert!(printed.contains("memory = \"256M\""), "{printed}");
    }

    #[test]
    fn errors_name_the_line_and_the_value() {
        let err = parse("read = [\"/usr\"]\nmemory = \"12Q\"\n").unwrap_err();
        assert_eq!(err, r#"line 2: memory = "12Q": 12Q: not a size (use e.g. 256M, 1G)"#);
        let err = parse("reed = []\n").unwrap_err();
        assert!(err.starts_with("line 1: reed = []: unknown field `reed`"), "{err}");
        let err = parse("read = [\"usr\"]\n").unwrap_err();
        assert!(err.ends_with("usr: must be an absolute path"), "{err}");
    }
}
