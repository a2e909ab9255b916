//! The `sandlock` command: run a program in a sandbox from the shell.

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod accounts;
mod args;
mod audit;
mod check;
mod docs;
mod exit;
mod options;
mod policy_file;
mod program;
mod run;
mod signals;
mod values;

use std::io::Write;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

use args::{Cli, Command, PolicyCommand};
use exit::Failure;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return Failure::usage(one_line(&e)).report(),
    };
    dispatch(cli.command).unwrap_or_else(|failure| failure.report())
}

fn dispatch(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Run(args) => run::run(args),
        Command::Policy(PolicyCommand::Print(source)) => emit(policy_file::print(&source.effective()?)?.as_bytes()),
        Command::Check => check::run(),
        Command::Man => {
            let mut page = Vec::new();
            docs::man(&mut page).map_err(|e| Failure::new(1, format!("rendering the man page: {e}")))?;
            emit(&page)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            docs::completions(shell, &mut script);
            emit(&script)
        }
    }
}

/// Write `text` to standard output. A reader that went away (`| head`)
/// is not an error worth a message.
pub fn emit(text: &[u8]) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::new(1, format!("writing to standard output: {e}")))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// clap's error as one line: `--memory 12Q: not a size ...` for a bad
/// value, else its first line with the lines it introduces and its tips.
fn one_line(error: &clap::Error) -> String {
    if error.kind() == ErrorKind::ValueValidation {
        if let (Some(ContextValue::String(arg)), Some(ContextValue::String(value)), Some(reason)) =
            (error.get(ContextKind::InvalidArg), error.get(ContextKind::InvalidValue), std::error::Error::source(error))
        {
            return format!("{} {value}: {reason}", option_name(arg));
        }
    }
    if error.kind() == ErrorKind::InvalidValue {
        if let (
            Some(ContextValue::String(arg)),
            Some(ContextValue::String(value)),
            Some(ContextValue::Strings(valid)),
        ) = (
            error.get(ContextKind::InvalidArg),
            error.get(ContextKind::InvalidValue),
            error.get(ContextKind::ValidValue),
        ) {
            return format!("{} {value}: use one of {}", option_name(arg), valid.join(", "));
        }
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a subcommand is required: run, policy, check, man or completions; see sandlock --help".to_string();
    }
    let rendered = error.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|line| !line.is_empty());
    let mut text = lines.next().unwrap_or("invalid command line").trim_start_matches("error: ").to_string();
    // A first line ending in ':' introduces indented lines (what is
    // missing); a tip suggests the option that was probably meant.
    if text.ends_with(':') {
        let listed: Vec<&str> = lines.clone().take_while(|line| !line.starts_with("Usage:")).collect();
        text = format!("{text} {}", listed.join(", "));
    }
    if let Some(tip) = lines.find(|line| line.starts_with("tip: a similar")) {
        text = format!("{text} ({tip})");
    }
    format!("{text}; see sandlock --help")
}

/// "--memory <SIZE>" names the option as "--memory"; "<SHELL>" stays.
fn option_name(arg: &str) -> &str {
    if arg.starts_with('-') {
        arg.split([' ', '=']).next().unwrap_or(arg)
    } else {
        arg
    }
}
