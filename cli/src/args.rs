//! The command line: subcommands and the arguments that are not policy
//! options (those are in `options`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit::{Failure, EXIT_STATUS_HELP};
use crate::options::PolicyOptions;
use crate::policy_file;

pub const ABOUT: &str = "Run a program in a Landlock and seccomp sandbox";

const LONG_ABOUT: &str = "\
Run a program in a Landlock and seccomp sandbox.

The program starts with no access to files, no TCP ports, no capabilities,
no inherited file descriptors and an empty environment, in its own process
group; each option grants one thing back. A seccomp filter denies the known
escape and kernel-attack-surface syscalls whatever the options say.";

pub const RUN_EXAMPLES: &str = "\
Examples:
  # The program gets what it needs to load and nothing else: cat is refused (exit 1)
  sandlock run --auto-read -- cat /etc/hostname

  # Grant one file
  sandlock run --auto-read --read /etc/hostname -- cat /etc/hostname

  # A job in a work directory, with limits and an unprivileged identity
  mkdir -p /tmp/job
  sandlock run --read /usr --read /etc --write /tmp/job --cwd /tmp/job \\
      --timeout 10s --memory 1G --user nobody -- python3 -c 'print(42)'

  # Log every file the program opens, refused ones too: Landlock decides (exit 1)
  sandlock run --auto-read --audit openat -- cat /etc/hostname

  # Review a policy as a file, then run with it
  sandlock policy print --auto-read --read /etc/hostname --timeout 5s > job.toml
  sandlock run --policy job.toml -- cat /etc/hostname";

#[derive(Debug, Parser)]
#[command(name = "sandlock", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a program in a sandbox
    #[command(after_help = format!("{RUN_EXAMPLES}\n\n{EXIT_STATUS_HELP}"))]
    Run(RunArgs),
    /// Work with policy files
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show what this kernel can enforce (exit 1 when the default policy
    /// cannot run here)
    Check,
    /// Print the man page (roff) on standard output
    Man,
    /// Print a completion script for SHELL on standard output
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the effective policy (the --policy file with the options on
    /// top) as TOML, to be read back with --policy
    Print(PolicySource),
}

/// A policy file and the options that add to it.
#[derive(Debug, Args)]
pub struct PolicySource {
    /// Read policy options from a TOML file (keys are the long option names
    /// with `_`, e.g. max_processes = 8); options given here add to its
    /// lists and replace its other values
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    #[command(flatten)]
    pub options: PolicyOptions,
}

impl PolicySource {
    pub fn effective(self) -> Result<PolicyOptions, Failure> {
        match &self.policy {
            Some(path) => Ok(policy_file::load(path)?.merge(self.options)),
            None => Ok(self.options),
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: PolicySource,

    /// Log each call of these syscalls (e.g. openat,connect): pid, name and
    /// decoded arguments, one line per call; the calls still run as the
    /// policy says
    #[arg(long, value_name = "SYSCALL", value_delimiter = ',', help_heading = "Audit")]
    pub audit: Vec<String>,

    /// Write the --audit lines to FILE (appended) instead of standard error
    #[arg(long, value_name = "FILE", requires = "audit", help_heading = "Audit")]
    pub audit_log: Option<PathBuf>,

    /// The program (found on PATH like a shell does) and its arguments
    #[arg(value_name = "PROGRAM", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}
