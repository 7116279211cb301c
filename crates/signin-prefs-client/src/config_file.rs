//! The config file and its named profiles, for people who run many tenants: which file is read
//! (`--config`, else `SIGNIN_PREFS_CONFIG`, else the default location when it exists), which
//! profile is chosen (`--profile`, else `SIGNIN_PREFS_PROFILE`), and the rule that keeps a named
//! profile whole: a variable of the environment that contradicts a key the profile sets, or a
//! secret that would sign in otherwise than the profile says, is refused rather than obeyed.
//!
//! ```toml
//! # top-level keys: the settings used when no profile is named
//! tenant_id = "…"
//!
//! [profiles.contoso]
//! tenant_id = "…"
//! client_id = "…"
//! client_certificate_path = "/etc/signin-prefs/contoso.pem"
//! folder = "/srv/signin-prefs/contoso"   # optional: where its plans, journals and reports go
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::{Error, Settings, VARIABLES};

/// The variable that names the profile when `--profile` does not.
pub const PROFILE_VARIABLE: &str = "SIGNIN_PREFS_PROFILE";

/// The variable that names the config file when `--config` does not.
pub const CONFIG_VARIABLE: &str = "SIGNIN_PREFS_CONFIG";

/// The longest profile name: it is a folder's name too.
const MAX_NAME: usize = 64;

/// A profile's name: letters, digits, `-`, `_` and `.`, not starting with `.` or `-`, at most 64
/// characters, so that it is a safe folder name on every system.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

/// Quoted, as errors name it.
impl fmt::Debug for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl ProfileName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProfileName {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::check(text).map_err(Error::configuration)
    }
}

impl ProfileName {
    /// The name `text` is, or what is wrong with it.
    fn check(text: &str) -> Result<Self, String> {
        let refuse = |why: &str| format!("profile name {text:?}: {why}");
        if text.is_empty() {
            return Err(refuse("is empty"));
        }
        if text.chars().count() > MAX_NAME {
            return Err(refuse(&format!("is longer than {MAX_NAME} characters")));
        }
        if text.starts_with(['.', '-']) {
            return Err(refuse("starts with `.` or `-`"));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(refuse(&format!(
                "holds {bad:?}: use letters, digits, `-`, `_` and `.`"
            )));
        }
        Ok(Self(text.to_owned()))
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One named profile: its settings and the folder its runs' files go to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Profile {
    /// Its name.
    pub name: ProfileName,
    /// Its settings, as the file gives them (the environment not laid over).
    pub settings: Settings,
    /// Where its plans, journals and reports go by default.
    pub folder: PathBuf,
}

/// A config file, read; empty when there is none.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    path: Option<PathBuf>,
    settings: Settings,
    profiles: BTreeMap<ProfileName, Profile>,
}

/// The settings to connect with, and the profile they came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Chosen {
    /// The settings, with the environment laid over them.
    pub settings: Settings,
    /// The profile named, if any.
    pub profile: Option<Profile>,
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `$XDG_CONFIG_HOME/signin-prefs`, else `~/.config/signin-prefs` (else `$APPDATA`).
fn config_home() -> Option<PathBuf> {
    variable("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| variable("HOME").map(|home| Path::new(&home).join(".config")))
        .or_else(|| variable("APPDATA").map(PathBuf::from))
        .map(|base| base.join("signin-prefs"))
}

/// `$XDG_DATA_HOME/signin-prefs/profiles`, else `~/.local/share/signin-prefs/profiles`.
fn profiles_home() -> Option<PathBuf> {
    variable("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| variable("HOME").map(|home| Path::new(&home).join(".local").join("share")))
        .or_else(|| variable("LOCALAPPDATA").map(PathBuf::from))
        .map(|base| base.join("signin-prefs").join("profiles"))
}

impl ConfigFile {
    /// Where the config file is looked for when neither `--config` nor `SIGNIN_PREFS_CONFIG`
    /// names one: `$XDG_CONFIG_HOME/signin-prefs/config.toml`, else
    /// `~/.config/signin-prefs/config.toml`.
    pub fn default_location() -> Option<PathBuf> {
        config_home().map(|folder| folder.join("config.toml"))
    }

    /// The file `explicit` names (`--config`), else `SIGNIN_PREFS_CONFIG`'s, else the default
    /// location's if it exists; none at all is an empty file. A file named explicitly must exist.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, Error> {
        let named = explicit
            .map(Path::to_path_buf)
            .or_else(|| variable(CONFIG_VARIABLE).map(PathBuf::from));
        match named {
            Some(path) => Self::read(&path),
            None => match Self::default_location().filter(|path| path.is_file()) {
                Some(path) => Self::read(&path),
                None => Ok(Self::default()),
            },
        }
    }

    /// Reads the file at `path`.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|cause| Error::configuration(format!("{}: {cause}", path.display())))?;
        Self::parse(path, &text)
    }

    /// Parses `text`, the contents of the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let at = |what: String| Error::configuration(format!("{}: {what}", path.display()));
        let mut table: toml::Table = toml::from_str(text).map_err(|cause| at(cause.to_string()))?;
        let profiles = match table.remove("profiles") {
            None => toml::Table::new(),
            Some(toml::Value::Table(profiles)) => profiles,
            Some(_) => {
                return Err(at(
                    "`profiles` must be a table of named profiles ([profiles.NAME])".to_owned(),
                ));
            }
        };
        let settings = Settings::deserialize_table(table).map_err(at)?;
        let here = path.parent().unwrap_or(Path::new(""));
        let mut read = BTreeMap::new();
        for (name, value) in profiles {
            let name = ProfileName::check(&name).map_err(at)?;
            let toml::Value::Table(mut table) = value else {
                return Err(at(format!(
                    "profile {name:?} must be a table ([profiles.{name}])"
                )));
            };
            let folder = match table.remove("folder") {
                None => profiles_home()
                    .map(|home| home.join(name.as_str()))
                    .ok_or_else(|| {
                        at(format!(
                            "profile {name:?}: no home folder to keep its files in; give it a `folder`"
                        ))
                    })?,
                Some(toml::Value::String(folder)) => here.join(folder),
                Some(_) => {
                    return Err(at(format!(
                        "profile {name:?}: `folder` must be a path (a string)"
                    )));
                }
            };
            let settings = Settings::deserialize_table(table)
                .map_err(|cause| at(format!("profile {name:?}: {cause}")))?;
            read.insert(
                name.clone(),
                Profile {
                    name,
                    settings,
                    folder,
                },
            );
        }
        Ok(Self {
            path: Some(path.to_path_buf()),
            settings,
            profiles: read,
        })
    }

    /// The file read, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The named profiles, by name.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// The profile `name` names, or an error listing those there are.
    pub fn profile(&self, name: &ProfileName) -> Result<&Profile, Error> {
        self.profiles.get(name).ok_or_else(|| {
            let file = self.path.as_ref().map_or_else(
                || {
                    Self::default_location().map_or_else(
                        || "no config file was found".to_owned(),
                        |path| {
                            format!(
                                "no config file was found ({} is looked for)",
                                path.display()
                            )
                        },
                    )
                },
                |path| path.display().to_string(),
            );
            let known: Vec<&str> = self.profiles.keys().map(ProfileName::as_str).collect();
            if known.is_empty() {
                Error::configuration(format!(
                    "profile {name:?} is not defined: {file} has no [profiles]"
                ))
            } else {
                Error::configuration(format!(
                    "profile {name:?} is not defined in {file} (its profiles: {})",
                    known.join(", ")
                ))
            }
        })
    }

    /// The profile `name` names, else the one `SIGNIN_PREFS_PROFILE` names, else none.
    pub fn named(&self, name: Option<&ProfileName>) -> Result<Option<&Profile>, Error> {
        let name = match name {
            Some(name) => Some(name.clone()),
            None => variable(PROFILE_VARIABLE)
                .map(|text| ProfileName::check(&text))
                .transpose()
                .map_err(|error| Error::configuration(format!("{PROFILE_VARIABLE}: {error}")))?,
        };
        name.map(|name| self.profile(&name)).transpose()
    }

    /// The settings to connect with: the profile `name` names (else `SIGNIN_PREFS_PROFILE`'s),
    /// else the file's top-level keys; the environment laid over them. A named profile is never
    /// silently overridden: a variable that gives one of its keys another value, or a secret in
    /// the environment that would be used instead of the profile's own, is an error naming both.
    pub fn choose(&self, name: Option<&ProfileName>) -> Result<Chosen, Error> {
        let Some(profile) = self.named(name)? else {
            return Ok(Chosen {
                settings: self.settings.clone().with_environment(),
                profile: None,
            });
        };
        let settings = profile.settings.clone().with_environment();
        refuse_overrides(profile, &settings)?;
        Ok(Chosen {
            settings,
            profile: Some(profile.clone()),
        })
    }
}

/// Refuses what the environment would change about the profile.
fn refuse_overrides(profile: &Profile, laid_over: &Settings) -> Result<(), Error> {
    let name = &profile.name;
    let own = &profile.settings;
    let advice = "unset the variable, or run without the profile";
    for (variable_name, key) in VARIABLES {
        let (Some(mine), Some(theirs)) = (own.value(key), variable(variable_name)) else {
            continue;
        };
        if theirs != mine {
            return Err(Error::configuration(format!(
                "profile {name:?} sets {key} = {mine:?}, but {variable_name} is {theirs:?}: {advice}"
            )));
        }
    }
    for (key, secret) in laid_over.secret_variables() {
        if let (Some(_), Some(variable_name)) = (own.value(key), secret) {
            return Err(Error::configuration(format!(
                "profile {name:?} sets {key}, but {variable_name} is set too: {advice}"
            )));
        }
    }
    // A secret the environment holds for a kind the profile does not use would be chosen first.
    if let (Ok(mine), Ok(theirs)) = (own.choose(), laid_over.choose())
        && mine.kind != theirs.kind
    {
        return Err(Error::configuration(format!(
            "profile {name:?} signs in with {}, but {} would be used instead ({}): {advice}",
            mine.kind, theirs.kind, theirs.reason
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Component, Path};

    use proptest::prelude::*;

    use super::{ConfigFile, ProfileName};

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(Path::new("/etc/signin-prefs/config.toml"), text)
            .map_err(|error| error.to_string())
    }

    proptest! {
        /// A name that parses is one plain folder name: it can never lead out of the profiles'
        /// folder nor hide there.
        #[test]
        fn a_profile_name_is_one_plain_folder_name(text in "\\PC{0,70}") {
            if let Ok(name) = text.parse::<ProfileName>() {
                let components: Vec<Component<'_>> = Path::new(name.as_str()).components().collect();
                prop_assert_eq!(components, vec![Component::Normal(name.as_str().as_ref())]);
                prop_assert!(!name.as_str().starts_with('.'));
            }
        }

        /// Every name of the documented alphabet parses, as written.
        #[test]
        fn names_of_the_documented_alphabet_parse(text in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}") {
            prop_assert_eq!(text.parse::<ProfileName>().map(|name| name.to_string()).ok(), Some(text));
        }
    }

    #[test]
    fn profiles_are_read_beside_the_top_level_settings() {
        let file = parse(
            "tenant_id = \"top\"\n\
             [profiles.contoso]\ntenant_id = \"c\"\ncloud = \"usgov\"\nfolder = \"runs/contoso\"\n\
             [profiles.fabrikam]\ntenant_id = \"f\"\n",
        )
        .unwrap();
        let names: Vec<String> = file.profiles().map(|p| p.name.to_string()).collect();
        assert_eq!(names, ["contoso", "fabrikam"]);
        let contoso = file.profile(&"contoso".parse().unwrap()).unwrap();
        assert_eq!(contoso.settings.tenant_id.as_deref(), Some("c"));
        // A relative folder is taken from the config file's own folder.
        assert_eq!(contoso.folder, Path::new("/etc/signin-prefs/runs/contoso"));
        let fabrikam = file.profile(&"fabrikam".parse().unwrap()).unwrap();
        assert!(fabrikam.folder.ends_with("signin-prefs/profiles/fabrikam"));
        assert_eq!(file.settings.tenant_id.as_deref(), Some("top"));
    }

    #[test]
    fn mistakes_are_named_with_their_profile() {
        for (text, named) in [
            (
                "[profiles.contoso]\ntenant = \"x\"\n",
                "profile \"contoso\": unknown field `tenant`",
            ),
            ("profiles = 3\n", "`profiles` must be a table"),
            (
                "[profiles]\ncontoso = 3\n",
                "profile \"contoso\" must be a table",
            ),
            (
                "[profiles.\"../up\"]\ntenant_id = \"x\"\n",
                "profile name \"../up\"",
            ),
            (
                "[profiles.a]\nfolder = 3\n",
                "profile \"a\": `folder` must be a path",
            ),
            ("tenant = \"x\"\n", "unknown field `tenant`"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(named), "{text:?}: {error}");
            assert!(error.contains("/etc/signin-prefs/config.toml: "), "{error}");
        }
    }

    #[test]
    fn an_undefined_profile_is_refused_listing_the_defined_ones() {
        let file = parse("[profiles.contoso]\n[profiles.fabrikam]\n").unwrap();
        let error = file
            .profile(&"northwind".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"northwind\" is not defined"), "{error}");
        assert!(error.contains("contoso, fabrikam"), "{error}");
    }
}
