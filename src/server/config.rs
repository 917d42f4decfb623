//! Configuration from the environment, with defaults that work on a fresh machine.

pub const HELP: &str = "\
shopflow - an online shop's operating procedures as executable workflows

USAGE: shopflow [--demo] [--help]

OPTIONS:
  --demo     create the demo accounts (one per role) and sample records, if missing
  --help     print this help

ENVIRONMENT:
  DATABASE_URL             sqlite://path/to/file.db or postgres://user@host/db
                           (default: sqlite://data/shopflow.db, created on first run)
  SHOPFLOW_PG_CONNECTIONS  connections this instance keeps to PostgreSQL (default 32);
                           with several instances their sum must stay under the
                           server's max_connections. Fewer suit a shop whose orders
                           crowd onto a few SKUs (a flash sale), more one whose
                           transactions touch different rows
  LEPTOS_SITE_ADDR         address to listen on (default 127.0.0.1:3000)
  LEPTOS_SITE_ROOT         folder with the built site assets (default target/site)
  RUST_LOG                 log filter, e.g. info or shopflow=debug (default info)
  SHOPFLOW_SECURE_COOKIES  1 to mark the session cookie Secure (behind HTTPS)
  SHOPFLOW_TRUST_PROXY     1 to take the client address from X-Forwarded-For
                           (behind a load balancer; used by login throttling)
  SHOPFLOW_DEMO            1 does the same as --demo
  SHOPFLOW_PRICE_CHANGE_LIMIT  a price change beyond this many percent needs a
                           product manager's approval (default 20)
  SHOPFLOW_PRICE_ALERT     an applied price this many percent away from the SKU's
                           recent prices raises a price alert (default 30)
  SHOPFLOW_MEDIA_DIR       folder for uploaded product images and their thumbnails
                           (default data/media; share it between instances)
  SHOPFLOW_COUNT_APPROVAL_VALUE  stock-count differences worth more than this at
                           cost (e.g. 500.00) need a manager's approval (default 500.00)
  SHOPFLOW_COUNT_APPROVAL_UNITS  a difference of more than this many units on one
                           line needs a manager's approval (default 20)
  SHOPFLOW_ORDER_REVIEW_ABOVE  paid orders above this total (e.g. 5000.00) wait for an
                           order clerk instead of being confirmed at once (default 5000.00)
  SHOPFLOW_PAYMENT_WINDOW_MINUTES  unpaid orders are cancelled and their stock
                           released after this many minutes (default 30)
  SHOPFLOW_TICKET_REOPEN_DAYS  a customer's reply reopens a resolved ticket within this
                           many days; after them it closes (default 7)
  SHOPFLOW_CARRIER_STEP_SECONDS  the simulated carrier moves a shipped parcel one stage
                           on (picked up … delivered) every this many seconds; 0 turns
                           the simulation off (default 60)
  SHOPFLOW_TRACKING_WEBHOOK_SECRET  shared secret of the carriers' tracking webhook
                           (POST /webhooks/tracking, header X-Shopflow-Signature:
                           sha256=<hex HMAC-SHA256 of the body>); unset: webhook off.
                           A carrier given its own secret on the carriers page signs
                           the same way at POST /webhooks/tracking/<carrier code>
  SHOPFLOW_EMAIL_WEBHOOK_SECRET  shared secret of the inbound-mail webhook (POST
                           /webhooks/email, the raw message as the body, signed the
                           same way); unset: webhook off
  SHOPFLOW_SMTP_URL        the mail relay the outbox is delivered through, e.g.
                           smtp://user:pass@host:587?tls=required (STARTTLS),
                           smtps://user:pass@host (TLS) or smtp://host:25 (plain);
                           unset: mail is only kept in the outbox (/admin/outbox)
  SHOPFLOW_MAIL_FROM       the sender of outgoing mail
                           (default Shopflow <no-reply@shopflow.test>)
  SHOPFLOW_PUBLIC_URL      the address customers and staff reach Shopflow at, for the
                           links in mail (default http://127.0.0.1:3000)
  SHOPFLOW_LINK_SECRET     the secret that signs the one-click links in mail (the
                           survey); unset: one is generated and kept in the database,
                           so every instance on it agrees
";

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub database_url: String,
    /// The PostgreSQL pool's size (SQLite has one writer and its own readers).
    pub pg_connections: u32,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub demo: bool,
    pub pricing: crate::catalog::PricePolicy,
    pub counts: crate::inventory::counts::CountPolicy,
    pub media_dir: std::path::PathBuf,
    pub orders: crate::orders::OrderPolicy,
    pub tickets: crate::tickets::service::TicketPolicy,
    pub tracking_webhook_secret: Option<String>,
    pub email_webhook_secret: Option<String>,
    /// Where the outbox is delivered; `None` keeps mail in the outbox only.
    pub smtp: Option<SmtpConfig>,
    /// The address the app is reached at, without a trailing slash; empty: the default.
    pub public_url: String,
    /// Signs the links in mail; `None`: the database keeps a generated one.
    pub link_secret: Option<Hidden>,
}

/// A secret kept out of the log (configuration is logged with `{:?}`).
#[derive(Clone, Default)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

/// Mail is written deep inside the steps' transactions, which know nothing of the request;
/// the public address and the link secret are set once at start-up (`install`) and read
/// from there. Unset (tests, tools) they fall back to the default address and the
/// database's secret.
static PUBLIC_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static LINK_SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl Config {
    /// Makes the public address and the link secret the process's (first call wins).
    pub fn install(&self) {
        if !self.public_url.is_empty() {
            let _ = PUBLIC_URL.set(self.public_url.clone());
        }
        if let Some(secret) = &self.link_secret {
            let _ = LINK_SECRET.set(secret.0.clone());
        }
    }
}

/// The configured public address, e.g. `https://shop.example.com`.
pub fn public_url() -> &'static str {
    PUBLIC_URL.get().map(String::as_str).unwrap_or(DEFAULT_PUBLIC_URL)
}

/// An absolute link for mail from a path of the app (`/my/tickets/3`).
pub fn absolute(path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    format!("{}/{}", public_url(), path.trim_start_matches('/'))
}

/// The configured link secret, if any.
pub fn configured_link_secret() -> Option<&'static str> {
    LINK_SECRET.get().map(String::as_str)
}

/// A public address as configured: trimmed, without a trailing slash; not an http(s) URL is
/// the default.
fn public_url_from(value: Option<String>) -> String {
    match value.map(|v| v.trim().trim_end_matches('/').to_string()) {
        Some(v) if v.starts_with("http://") || v.starts_with("https://") => v,
        _ => DEFAULT_PUBLIC_URL.to_string(),
    }
}

/// The mail relay and the sender address of outgoing mail.
#[derive(Clone, Default)]
pub struct SmtpConfig {
    /// lettre's connection URL: `smtp://user:pass@host:587?tls=required`, `smtps://…`.
    pub url: String,
    pub from: String,
}

impl SmtpConfig {
    pub const DEFAULT_FROM: &'static str = "Shopflow <no-reply@shopflow.test>";
}

/// The URL carries the relay's password; configuration is logged with `{:?}`, so the
/// password is left out.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}"),
                None => self.url.clone(),
            },
            None => "***".to_string(),
        };
        f.debug_struct("SmtpConfig").field("url", &url).field("from", &self.from).finish()
    }
}

fn flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1") | Ok("true") | Ok("yes"))
}

/// A whole percentage from the environment, or the default when unset or not a number.
fn percent(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|p| *p <= 1000).unwrap_or(default)
}

/// An amount of money from the environment (e.g. `500` or `500.00`), in minor units.
fn money(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| crate::domain::parse_money(name, &v).ok()).unwrap_or(default)
}

/// A whole number from the environment.
fn number(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|n| *n >= 0).unwrap_or(default)
}

impl Config {
    pub const DEFAULT_DATABASE_URL: &'static str = "sqlite://data/shopflow.db";

    pub fn from_env(args: &[String]) -> Config {
        Config {
            database_url: std::env::var("DATABASE_URL")
                .ok()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.to_string()),
            pg_connections: number("SHOPFLOW_PG_CONNECTIONS", i64::from(crate::server::db::PG_CONNECTIONS)).clamp(1, 1_000) as u32,
            secure_cookies: flag("SHOPFLOW_SECURE_COOKIES"),
            trust_proxy: flag("SHOPFLOW_TRUST_PROXY"),
            demo: flag("SHOPFLOW_DEMO") || args.iter().any(|a| a == "--demo"),
            pricing: crate::catalog::PricePolicy {
                change_limit_pct: percent("SHOPFLOW_PRICE_CHANGE_LIMIT", 20),
                alert_pct: percent("SHOPFLOW_PRICE_ALERT", 30),
            },
            media_dir: std::env::var("SHOPFLOW_MEDIA_DIR").ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "data/media".into()).into(),
            counts: crate::inventory::counts::CountPolicy {
                approval_value: money("SHOPFLOW_COUNT_APPROVAL_VALUE", 50_000),
                approval_units: number("SHOPFLOW_COUNT_APPROVAL_UNITS", 20),
            },
            orders: crate::orders::OrderPolicy {
                review_above: money("SHOPFLOW_ORDER_REVIEW_ABOVE", 500_000),
                payment_window_minutes: number("SHOPFLOW_PAYMENT_WINDOW_MINUTES", 30).max(1),
                carrier_step_seconds: number("SHOPFLOW_CARRIER_STEP_SECONDS", 60),
            },
            tickets: crate::tickets::service::TicketPolicy { reopen_days: number("SHOPFLOW_TICKET_REOPEN_DAYS", 7).max(1) },
            tracking_webhook_secret: std::env::var("SHOPFLOW_TRACKING_WEBHOOK_SECRET").ok().filter(|s| !s.trim().is_empty()),
            email_webhook_secret: std::env::var("SHOPFLOW_EMAIL_WEBHOOK_SECRET").ok().filter(|s| !s.trim().is_empty()),
            smtp: std::env::var("SHOPFLOW_SMTP_URL").ok().filter(|s| !s.trim().is_empty()).map(|url| SmtpConfig {
                url: url.trim().to_string(),
                from: std::env::var("SHOPFLOW_MAIL_FROM")
                    .ok()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|| SmtpConfig::DEFAULT_FROM.to_string()),
            }),
            public_url: public_url_from(std::env::var("SHOPFLOW_PUBLIC_URL").ok()),
            link_secret: std::env::var("SHOPFLOW_LINK_SECRET").ok().filter(|s| !s.trim().is_empty()).map(Hidden),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_password_never_reaches_the_log() {
        let c = SmtpConfig { url: "smtps://mailer:s3cret@relay.example.test:465".into(), from: SmtpConfig::DEFAULT_FROM.into() };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("mailer"), "{shown}");
        assert!(shown.contains("relay.example.test:465"), "{shown}");
    }

    #[test]
    fn the_public_address_is_an_http_url_without_a_trailing_slash() {
        assert_eq!(public_url_from(Some(" https://shop.example.com/ ".into())), "https://shop.example.com");
        assert_eq!(public_url_from(Some("shop.example.com".into())), DEFAULT_PUBLIC_URL);
        assert_eq!(public_url_from(None), DEFAULT_PUBLIC_URL);
        assert_eq!(absolute("https://x.test/a"), "https://x.test/a");
        assert!(absolute("/my/tickets/3").ends_with("/my/tickets/3") && !absolute("/a").contains("//a"));
    }
}
