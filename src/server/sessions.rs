//! Sessions stored in the application database, so any instance behind a load balancer can
//! serve any request. tower-sessions' own sqlx stores are typed per backend; this one uses
//! the shared Any pool and the same portable SQL as the rest of the app.

use super::Db;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    /// Removes expired sessions; every instance may run it, the work is idempotent.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(crate::domain::now_millis())
            .execute(self.db.writer())
            .await?;
        Ok(done.rows_affected())
    }
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

fn expiry_millis(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        loop {
            let inserted = sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)")
                .bind(record.id.to_string())
                .bind(&data)
                .bind(expiry_millis(record))
                .execute(self.db.writer())
                .await;
            match inserted {
                Ok(_) => return Ok(()),
                // A 128-bit id collided: pick another rather than overwrite someone's session.
                Err(e) if super::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(expiry_millis(record))
        .execute(self.db.writer())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(crate::domain::now_millis())
                .fetch_optional(self.db.pool())
                .await
                .map_err(backend)?;
        row.map(|(data,)| serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
