//! `profiles`: the config file's named profiles, each with its tenant, cloud, the credential it
//! signs in with and the folder its runs' files go to, and which one the environment selects.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args as ClapArgs;
use serde::Serialize;
use signin_prefs_client::{ConfigFile, PROFILE_VARIABLE, Profile};

use super::output::{Output, OutputArg};
use super::stdout::UntilClosed;
use crate::error::Error;

/// `signin-prefs profiles`.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The config file (default: SIGNIN_PREFS_CONFIG, else ~/.config/signin-prefs/config.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArg,
}

/// One profile, as listed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    name: String,
    tenant_id: Option<String>,
    cloud: String,
    /// The credential kind its own settings choose (the environment aside), if they choose one.
    credential: Option<String>,
    folder: PathBuf,
    /// Whether `SIGNIN_PREFS_PROFILE` names it.
    selected: bool,
}

/// The whole listing.
#[derive(Debug, Serialize)]
struct Listing {
    config: Option<PathBuf>,
    profiles: Vec<Listed>,
}

fn listed(profile: &Profile, selected: Option<&str>) -> Listed {
    let settings = &profile.settings;
    Listed {
        name: profile.name.to_string(),
        tenant_id: settings.tenant_id.clone(),
        cloud: settings.cloud().map_or_else(
            |_| settings.cloud.clone().unwrap_or_default(),
            |cloud| cloud.to_string(),
        ),
        credential: settings.choose().ok().map(|choice| choice.kind.to_string()),
        folder: profile.folder.clone(),
        selected: selected == Some(profile.name.as_str()),
    }
}

pub(crate) fn run(args: &Args) -> Result<i32, Error> {
    let file = ConfigFile::locate(args.config.as_deref())
        .map_err(|error| Error::Input(error.to_string()))?;
    let selected = std::env::var(PROFILE_VARIABLE).ok();
    let listing = Listing {
        config: file.path().map(PathBuf::from),
        profiles: file
            .profiles()
            .map(|profile| listed(profile, selected.as_deref()))
            .collect(),
    };
    let text = match args.output.output {
        // A struct of strings always serializes.
        Output::Json => serde_json::to_string_pretty(&listing).unwrap_or_default() + "\n",
        Output::Csv => csv(&listing),
        Output::Table => table(&listing),
    };
    let mut out = UntilClosed::stdout();
    out.write_all(text.as_bytes()).and_then(|()| out.flush())?;
    Ok(0)
}

fn table(listing: &Listing) -> String {
    let Some(config) = &listing.config else {
        let looked = ConfigFile::default_location().map_or_else(String::new, |path| {
            format!(" ({} is looked for)", path.display())
        });
        return format!("no config file{looked}: profiles are [profiles.NAME] tables in one\n");
    };
    if listing.profiles.is_empty() {
        return format!(
            "{} has no profiles ([profiles.NAME] tables)\n",
            config.display()
        );
    }
    let mut text = format!("profiles in {}:\n", config.display());
    let none = "-";
    for profile in &listing.profiles {
        text.push_str(&format!(
            "{} {}  tenant {}  cloud {}  credential {}  folder {}\n",
            if profile.selected { "*" } else { " " },
            profile.name,
            profile.tenant_id.as_deref().unwrap_or(none),
            profile.cloud,
            profile.credential.as_deref().unwrap_or(none),
            profile.folder.display()
        ));
    }
    if listing.profiles.iter().any(|profile| profile.selected) {
        text.push_str(&format!("(* {PROFILE_VARIABLE} selects it)\n"));
    }
    text
}

fn csv(listing: &Listing) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![[
        "name".to_owned(),
        "tenantId".to_owned(),
        "cloud".to_owned(),
        "credential".to_owned(),
        "folder".to_owned(),
        "selected".to_owned(),
    ]];
    rows.extend(listing.profiles.iter().map(|profile| {
        [
            profile.name.clone(),
            profile.tenant_id.clone().unwrap_or_default(),
            profile.cloud.clone(),
            profile.credential.clone().unwrap_or_default(),
            profile.folder.display().to_string(),
            profile.selected.to_string(),
        ]
    }));
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(row);
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}
