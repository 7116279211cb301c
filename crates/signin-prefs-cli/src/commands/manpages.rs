//! `signin-prefs manpages --out DIR` (hidden; `cargo xtask man` runs it): a roff man page for the
//! command and one per subcommand, made by clap_mangen from the definitions that parse the command
//! line.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use signin_prefs_bulk::files::write_private;

use crate::error::Error;

/// `manpages`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The folder to write `signin-prefs.1` and `signin-prefs-SUBCOMMAND.1` into (made if missing).
    #[arg(long)]
    out: PathBuf,
}

/// Writes the man pages of `command` and of each of its visible subcommands; the number written.
pub(crate) fn run(args: &Args, command: clap::Command) -> Result<usize, Error> {
    std::fs::create_dir_all(&args.out)?;
    // Built, so each subcommand's page lists the options every command takes (`--color`, `-v`).
    let mut command = command.propagate_version(true);
    command.build();
    let name = command.get_name().to_owned();
    let mut pages = vec![(name.clone(), command.clone())];
    // Not clap's own `help` subcommand, which building adds: `man signin-prefs` covers it.
    let pages_of = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help");
    for sub in pages_of {
        let page = format!("{name}-{}", sub.get_name());
        pages.push((
            page.clone(),
            sub.clone().display_name(&page).bin_name(&page),
        ));
    }
    for (page, command) in &pages {
        let mut roff = Vec::new();
        clap_mangen::Man::new(command.clone())
            .title(page.to_uppercase())
            .render(&mut roff)?;
        write_private(&args.out.join(format!("{page}.1")), &roff)?;
    }
    Ok(pages.len())
}
