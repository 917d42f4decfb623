//! Integration tests against real databases: every test runs on SQLite and on PostgreSQL.
//! One test binary (one link step) keeps the suite quick on a 2-core machine.

mod support;

mod accounts;
mod authorization;
mod http;
mod workflow;
mod catalog;
mod inventory;
mod pricing;
mod transfers_counts;
mod bulk;
mod images;
mod orders;
mod tickets;
mod ticket_notices;
mod attachments;
mod notifications;
mod outbox;
mod shipments;
mod carriers;
mod addresses;
mod parcels;
