//! The man page and shell completions, generated from the same clap
//! definitions as `--help`, so the three never disagree.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use crate::args::{Cli, RUN_EXAMPLES};
use crate::exit::EXIT_STATUS_HELP;

/// sandlock(1): the synopsis of every subcommand, the description, the
/// options of `run` (which `policy print` shares), the subcommands,
/// examples and exit statuses.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let mut cli = Cli::command();
    cli.build();
    let page = Man::new(cli.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    // Every subcommand is on this one page: no sandlock-run(1) to refer to.
    let subcommands: Vec<&clap::Command> = cli.get_subcommands().filter(|sub| sub.get_name() != "help").collect();
    let mut synopsis = Roff::new();
    synopsis.control("SH", ["SYNOPSIS"]);
    // `policy` only groups its subcommands: show theirs.
    let leaves = subcommands.iter().flat_map(|sub| match sub.has_subcommands() {
        true => sub.get_subcommands().filter(|leaf| leaf.get_name() != "help").collect(),
        false => vec![*sub],
    });
    for sub in leaves {
        let usage = sub.clone().render_usage().to_string();
        synopsis.text([roman(usage.trim_start_matches("Usage: "))]).control("br", [] as [&str; 0]);
    }
    synopsis.to_writer(out)?;
    page.render_description_section(out)?;
    Roff::new()
        .control("PP", [] as [&str; 0])
        .text([
            roman("The options below are those of "),
            bold("sandlock run"),
            roman("; "),
            bold("sandlock policy print"),
            roman(" takes the same policy options."),
        ])
        .to_writer(out)?;
    if let Some(run) = cli.find_subcommand("run") {
        Man::new(run.clone()).render_options_section(out)?;
    }
    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    for sub in &subcommands {
        commands.control("TP", [] as [&str; 0]).text([bold(format!("sandlock {}", sub.get_name()))]);
        commands.text([roman(sub.get_about().map(|about| about.to_string()).unwrap_or_default())]);
    }
    commands.to_writer(out)?;
    section(out, "EXAMPLES", RUN_EXAMPLES)?;
    section(out, "EXIT STATUS", EXIT_STATUS_HELP)
}

/// A section from `--help` text: its first line is the title, the rest is
/// kept as preformatted lines.
fn section(out: &mut dyn Write, title: &str, text: &str) -> io::Result<()> {
    let mut roff = Roff::new();
    roff.control("SH", [title]).control("nf", [] as [&str; 0]);
    for line in text.lines().skip(1) {
        roff.text([roman(line)]);
    }
    roff.control("fi", [] as [&str; 0]).to_writer(out)
}

pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "sandlock", out);
}
