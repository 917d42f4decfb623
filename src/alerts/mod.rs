//! The shared alert inbox: processes raise alerts (low stock, abnormal price, and later late
//! orders, SLA breaches, refunds) for the holders of a permission; staff acknowledge and
//! resolve them. One open alert per subject: a condition that persists does not pile up.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

pub const OPEN: &str = "open";
pub const ACKNOWLEDGED: &str = "acknowledged";
pub const RESOLVED: &str = "resolved";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    /// `low_stock`, …: the inbox words the alert from its kind and `detail`.
    pub kind: String,
    pub subject: String,
    pub owner_role: String,
    pub title: String,
    /// JSON with the figures of the alert, e.g. {"available": 3, "reorder_point": 10}.
    pub detail: String,
    pub link: String,
    pub state: String,
    pub created_at: i64,
    pub acknowledged_by: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertFilter {
    /// Empty: open and acknowledged ones.
    pub state: String,
    pub kind: String,
}
