//! The customer's address book: addresses kept by name ("Home", "Office"), one of them the
//! default, that fill the checkout form. An order copies the address it ships to, so editing
//! or deleting an entry never changes an order.

use super::AddressInput;
use crate::domain::{optional_text, AppResult};
use serde::{Deserialize, Serialize};

/// The most addresses one customer keeps.
pub const MAX_ADDRESSES: i64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: i64,
    /// The customer's own name for it; may be empty.
    pub label: String,
    pub address: AddressInput,
    pub is_default: bool,
}

impl SavedAddress {
    /// "Home · Cathy Customer · 88 Century Ave…" for a choice list.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.label.is_empty() {
            parts.push(self.label.clone());
        }
        parts.push(self.address.recipient.clone());
        let short: String = self.address.address.chars().take(40).collect();
        parts.push(if short.len() < self.address.address.len() { format!("{short}…") } else { short });
        parts.join(" · ")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressBookInput {
    pub label: String,
    pub address: AddressInput,
    pub is_default: bool,
}

impl AddressBookInput {
    pub fn validate(&self) -> AppResult<(String, AddressInput)> {
        let label = optional_text("label", &self.label, 30)?.unwrap_or_default();
        Ok((label, self.address.validate()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppError;

    fn home() -> AddressBookInput {
        AddressBookInput {
            label: " Home ".into(),
            address: AddressInput { recipient: "Li Lei".into(), phone: "138 0000 0000".into(), address: "1 Nanjing Rd, Shanghai".into() },
            is_default: false,
        }
    }

    #[test]
    fn entries_are_trimmed_and_checked_like_the_checkout() {
        assert_eq!(home().validate().unwrap().0, "Home");
        let long = AddressBookInput { label: "x".repeat(31), ..home() };
        assert_eq!(long.validate().unwrap_err(), AppError::invalid("label", "at most 30 characters"));
        let mut bad = home();
        bad.address.phone = "call me".into();
        assert_eq!(bad.validate().unwrap_err(), AppError::invalid("phone", "not a phone number"));
    }

    #[test]
    fn a_summary_names_and_shortens() {
        let a = SavedAddress { id: 1, label: "Home".into(), address: home().address, is_default: true };
        assert_eq!(a.summary(), "Home · Li Lei · 1 Nanjing Rd, Shanghai");
        let long = SavedAddress { label: String::new(), address: AddressInput { address: "长".repeat(50), ..home().address }, ..a };
        assert!(long.summary().ends_with('…') && long.summary().starts_with("Li Lei"));
    }
}
