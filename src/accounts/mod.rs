//! Accounts: staff and customers, roles as data, sessions and the admin pages.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::{required_text, AppError, AppResult, Permission};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// The signed-in user as the server sees them on this request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_customer: bool,
    pub permissions: Vec<Permission>,
    pub roles: Vec<String>,
    pub locale: Option<Lang>,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// What the shell needs on every page: who is here and in which language. The default is an
/// anonymous visitor in the default language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub actor: Option<Actor>,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub is_customer: bool,
    pub active: bool,
    pub role_ids: Vec<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: i64,
    /// Set for built-in roles (workflow steps name them as owners).
    pub key: Option<String>,
    pub name: String,
    pub permissions: Vec<Permission>,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersPage {
    pub users: Vec<UserRow>,
    pub roles: Vec<(i64, String)>,
}

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Normalises and checks an email address: the account name of every user.
pub fn valid_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(email)
    } else {
        Err(AppError::invalid("email", "enter an email address like name@example.com"))
    }
}

pub fn valid_password(field: &str, password: &str) -> AppResult<()> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(AppError::invalid(field, &format!("at least {PASSWORD_MIN} characters")));
    }
    if n > PASSWORD_MAX {
        return Err(AppError::invalid(field, &format!("at most {PASSWORD_MAX} characters")));
    }
    Ok(())
}

pub fn valid_name(raw: &str) -> AppResult<String> {
    required_text("name", raw, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(valid_email("  Li.Wei@Example.COM ").unwrap(), "li.wei@example.com");
        for bad in ["", "no-at", "@x.com", "a@b", "a b@c.com", "a@.com", "a@com."] {
            assert!(valid_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(valid_password("password", "short").is_err());
        assert!(valid_password("password", "long enough").is_ok());
        assert!(valid_password("password", &"x".repeat(129)).is_err());
        assert_eq!(
            valid_password("new_password", "1234567").unwrap_err().field_message("new_password").as_deref(),
            Some("at least 8 characters")
        );
    }
}
