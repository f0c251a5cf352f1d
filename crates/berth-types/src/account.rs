//! Names and secrets of the access model: projects, users, roles, passwords.

use std::fmt;
use std::str::FromStr;

use crate::ParseError;

/// Numeric id of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectId(pub i64);

/// Numeric id of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// A project name, Harbor's rule: `[a-z0-9]+([._-][a-z0-9]+)*`, 1 to 255 characters. A
/// valid project name is always a valid first component of a repository name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProjectName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let mut prev_sep = true; // no separator first
        let ok = !s.is_empty()
            && s.len() <= 255
            && s.chars().all(|c| {
                let sep = matches!(c, '.' | '_' | '-');
                let fine = alnum(c) || (sep && !prev_sep);
                prev_sep = sep;
                fine
            })
            && !prev_sep;
        if ok {
            Ok(ProjectName(s.to_owned()))
        } else {
            Err(ParseError::ProjectName(s.chars().take(300).collect()))
        }
    }
}

/// A user name: 1 to 255 characters, none of `,"~#%$`, no control characters, not blank.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Characters Harbor refuses in user names and real names.
const ILLEGAL_NAME_CHARS: &[char] = &[',', '"', '~', '#', '%', '$'];

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Username {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let ok = !s.trim().is_empty()
            && s.chars().count() <= 255
            && !s
                .chars()
                .any(|c| ILLEGAL_NAME_CHARS.contains(&c) || c.is_control());
        if ok {
            Ok(Username(s.to_owned()))
        } else {
            Err(ParseError::Username)
        }
    }
}

/// Whether `s` is acceptable as a real name (same rule as a user name).
pub fn valid_realname(s: &str) -> bool {
    s.parse::<Username>().is_ok()
}

/// A password (or secret) that meets Harbor's policy: 8 to 128 characters with at least
/// one upper-case letter, one lower-case letter and one digit. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// The policy's wording, as Harbor's clients show it.
pub const PASSWORD_POLICY: &str = "the password or secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number";

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Password {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let n = s.chars().count();
        let ok = (8..=128).contains(&n)
            && s.chars().any(|c| c.is_ascii_uppercase())
            && s.chars().any(|c| c.is_ascii_lowercase())
            && s.chars().any(|c| c.is_ascii_digit());
        if ok {
            Ok(Password(s.to_owned()))
        } else {
            Err(ParseError::Password)
        }
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A project role, with Harbor's role ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    ProjectAdmin,
    Developer,
    Guest,
    Maintainer,
    LimitedGuest,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ProjectAdmin,
        Role::Maintainer,
        Role::Developer,
        Role::Guest,
        Role::LimitedGuest,
    ];

    /// Harbor's `role_id`.
    pub fn id(self) -> i64 {
        match self {
            Role::ProjectAdmin => 1,
            Role::Developer => 2,
            Role::Guest => 3,
            Role::Maintainer => 4,
            Role::LimitedGuest => 5,
        }
    }

    pub fn from_id(id: i64) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.id() == id)
    }

    /// Harbor's `role_name`.
    pub fn name(self) -> &'static str {
        match self {
            Role::ProjectAdmin => "projectAdmin",
            Role::Developer => "developer",
            Role::Guest => "guest",
            Role::Maintainer => "maintainer",
            Role::LimitedGuest => "limitedGuest",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    )*};
}
display_as_str!(ProjectName, Username);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        for ok in ["library", "a", "my-project", "a.b_c-d", "x1"] {
            assert!(ok.parse::<ProjectName>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Library",
            "-a",
            "a-",
            "a--b",
            "a/b",
            "a..b",
            "a b",
            &"a".repeat(256),
        ] {
            assert!(bad.parse::<ProjectName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!("alice".parse::<Username>().is_ok());
        assert!("Alice Smith".parse::<Username>().is_ok());
        for bad in ["", "  ", "a,b", "a$b", "a#", "a\nb", &"x".repeat(256)] {
            assert!(bad.parse::<Username>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn password_policy() {
        assert!("Harbor12345".parse::<Password>().is_ok());
        for bad in [
            "Short1A",
            "alllowercase1",
            "ALLUPPER1",
            "NoDigitsHere",
            &format!("Aa1{}", "x".repeat(126)),
        ] {
            assert!(bad.parse::<Password>().is_err(), "{bad}");
        }
        assert_eq!(
            format!("{:?}", "Harbor12345".parse::<Password>().unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn role_ids_are_harbors() {
        for role in Role::ALL {
            assert_eq!(Role::from_id(role.id()), Some(role));
        }
        assert_eq!(Role::Maintainer.id(), 4);
        assert_eq!(Role::from_id(6), None);
    }
}
