//! The staff workspace: the landing dashboard of each role and the home page of each
//! department, built from the people, the processes and the records they own.

pub mod api;
pub mod pages;

use crate::improvement::Suggestion;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Suggestions the viewer submitted or owns that are still open.
    pub my_open: Vec<Suggestion>,
    /// Suggestions waiting for a step the viewer may take.
    pub waiting_for_me: Vec<Suggestion>,
    /// Open suggestions past their step's SLA (for those who review).
    pub breached: i64,
    /// Suggestions by state, across the company: (state, count).
    pub by_state: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DepartmentHome {
    pub department: String,
    /// Active staff of the department's roles: (name, role names).
    pub members: Vec<(String, String)>,
    pub suggestions: Vec<Suggestion>,
    pub by_state: Vec<(String, i64)>,
}
