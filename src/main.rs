//! The Shopflow server: configuration, database, migrations, then the web app.

use leptos::config::get_configuration;
use shopflow::server::config::{Config, HELP};
use shopflow::server::{assets, demo, http, sessions::DbSessionStore, AppState, Db};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return;
    }
    if let Some(unknown) = args.iter().find(|a| *a != "--demo") {
        eprintln!("unknown option {unknown}\n\n{HELP}");
        std::process::exit(2);
    }
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    if let Err(message) = run(Config::from_env(&args)).await {
        tracing::error!("{message}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> Result<(), String> {
    // Mail written by any step or sweep links to the public address from here on.
    config.install();
    let db = Db::connect_with(&config.database_url, config.pg_connections)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", config.database_url))?;
    db.migrate().await.map_err(|e| format!("migrations failed: {e}"))?;
    shopflow::accounts::service::ensure_builtin_roles(&db, shopflow::i18n::Lang::En)
        .await
        .map_err(|e| format!("seeding roles failed: {e}"))?;
    let indexed = shopflow::catalog::service::index_unindexed(&db).await.map_err(|e| format!("indexing products failed: {e}"))?;
    if indexed > 0 {
        tracing::info!(indexed, "products added to the search index");
    }
    if config.demo {
        demo::seed(&db).await.map_err(|e| format!("demo data failed: {e}"))?;
        tracing::info!("demo accounts ready (password {})", demo::DEMO_PASSWORD);
    }
    first_admin(&db).await?;
    // Service-level targets are code: a new release may change them, so every open ticket's
    // deadline is recomputed by the first sweep.
    let mut tx = db.begin().await.map_err(|e| format!("database: {e}"))?;
    shopflow::tickets::service::sla_changed(&mut tx, None).await.map_err(|e| format!("database: {e}"))?;
    tx.commit().await.map_err(|e| format!("database: {e}"))?;

    // Expired sessions are swept by every instance; the delete is idempotent.
    let store = DbSessionStore::new(db.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "sweeping expired sessions failed");
            }
        }
    });

    // Unpaid orders past the payment window give their stock back, resolved tickets past the
    // reopen window close, tickets near or past their service level alert, and imports abandoned by a stopped instance are closed. Every
    // instance sweeps; the sweeps are idempotent (the engine's state check, the job's state).
    let (sweep_db, policy, tickets) = (db.clone(), config.orders, config.tickets);
    tokio::spawn(async move {
        loop {
            // Imports whose instance stopped mid-way are reported as interrupted.
            match shopflow::catalog::bulk_service::fail_abandoned_imports(&sweep_db, shopflow::catalog::bulk_service::IMPORT_STALE_MS).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(imports = n, "interrupted imports marked failed"),
                Err(e) => tracing::warn!(error = %e, "sweeping interrupted imports failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            match shopflow::orders::service::expire_unpaid(&sweep_db, policy).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "unpaid orders cancelled"),
                Err(e) => tracing::warn!(error = %e, "expiring unpaid orders failed"),
            }
            match shopflow::tickets::service::close_resolved(&sweep_db, tickets).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(closed = n, "resolved tickets closed after the reopen window"),
                Err(e) => tracing::warn!(error = %e, "closing resolved tickets failed"),
            }
            if let Err(e) = shopflow::tickets::service::sweep_sla(&sweep_db).await {
                tracing::warn!(error = %e, "checking ticket service levels failed");
            }
            match shopflow::attachments::service::sweep(&sweep_db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "uploads never sent removed"),
                Err(e) => tracing::warn!(error = %e, "removing unsent uploads failed"),
            }
        }
    });

    // The email outbox goes out through the relay, if one is configured. Every instance
    // delivers; a hold on each mail (outbox::sender) keeps two from sending the same one.
    // Mail is the customer's answer, so this runs more often than the minute's sweep.
    match &config.smtp {
        Some(smtp) => {
            let mailer = shopflow::outbox::sender::SmtpMailer::new(smtp)?;
            tracing::info!(relay = ?smtp, "delivering the email outbox");
            let mail_db = db.clone();
            tokio::spawn(async move {
                use shopflow::outbox::sender::{deliver_due, BATCH};
                loop {
                    match deliver_due(&mail_db, &mailer, shopflow::domain::now_millis(), BATCH).await {
                        // A full batch may have more behind it: go on at once.
                        Ok(r) if r.due as i64 == BATCH && r.sent + r.gave_up == r.due => continue,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "delivering the email outbox failed"),
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                }
            });
        }
        None => tracing::info!("SHOPFLOW_SMTP_URL is unset: mail is kept in the outbox (/admin/outbox), not sent"),
    }

    // Parcels on their way: ask the (simulated) carrier for news. Idempotent like the above.
    if let Some(carrier) = shopflow::orders::carrier::simulated(policy) {
        let track_db = db.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                if let Err(e) = shopflow::orders::carrier::poll_carriers(&track_db, &carrier).await {
                    tracing::warn!(error = %e, "polling the carriers failed");
                }
            }
        });
    }

    let conf = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut leptos_options = conf.leptos_options;
    // Outside cargo-leptos nothing sets the bundle name; it is fixed by Cargo.toml anyway.
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "shopflow".into();
    }
    let addr = leptos_options.site_addr;
    // The client's files are compressed before the first request (0.2 s for a release build's):
    // a copy left by an earlier build must never be served beside this build's pages.
    let pkg = assets::folder(&leptos_options);
    let compressed = tokio::task::spawn_blocking({
        let pkg = pkg.clone();
        move || assets::precompress(&pkg)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match compressed {
        Ok(n) => tracing::info!(files = n, folder = %pkg.display(), "compressed the client's files"),
        Err(e) => tracing::warn!(error = %e, folder = %pkg.display(), "could not compress the client's files; they are sent uncompressed"),
    }
    let state = AppState { db, config: Arc::new(config) };
    let app = http::router(state, leptos_options);
    let listener = http::listen(&addr.to_string()).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("Shopflow is listening on http://{addr}");
    println!("Shopflow is running at http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// A database with no administrator gets one, with a generated password shown once in the log.
async fn first_admin(db: &Db) -> Result<(), String> {
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_customer = 0")
        .fetch_one(db.pool())
        .await
        .map_err(|e| e.to_string())?;
    if users > 0 {
        return Ok(());
    }
    let email = std::env::var("SHOPFLOW_ADMIN_EMAIL").unwrap_or_else(|_| "admin@shopflow.local".into());
    let password = std::env::var("SHOPFLOW_ADMIN_PASSWORD").unwrap_or_else(|_| {
        use rand::Rng;
        rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric).take(16).map(char::from).collect()
    });
    shopflow::accounts::service::ensure_staff(db, &email, "Administrator", &password, &[shopflow::domain::Role::Admin])
        .await
        .map_err(|e| format!("creating the first administrator failed: {e}"))?;
    println!("First administrator: {email} / {password} (change the password after signing in)");
    Ok(())
}
