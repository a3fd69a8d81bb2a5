//! TAP_SCHEMA (TAP 1.1 §4): its definition, and the store that reads and writes it with the service's private
//! metadata (SQL names, sky index).

mod definition;
mod store;

pub use definition::{SCHEMA, ddl, quote_ident, quote_table, self_description, sql_name};
pub use store::{
    bump_version, drop_empty_schema, install, load, register_key, register_schema, register_table,
    unregister_table, version,
};

#[cfg(test)]
mod tests {
    use super::*;
    use almagest_db::exec::Pool;

    pub(crate) async fn sqlite_pool(dir: &std::path::Path) -> Pool {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.join("c.sqlite"))
            .create_if_missing(true);
        Pool::Sqlite(sqlx::SqlitePool::connect_with(opts).await.unwrap())
    }

    #[tokio::test]
    async fn install_is_idempotent_and_describes_itself() {
        let dir = tempfile::tempdir().unwrap();
        let pool = sqlite_pool(dir.path()).await;
        install(&pool).await.unwrap();
        let v1 = version(&pool).await.unwrap();
        install(&pool).await.unwrap();
        assert!(
            version(&pool).await.unwrap() > v1,
            "every install bumps the catalogue version"
        );
        let cat = load(&pool).await.unwrap();
        assert_eq!(cat.schemas.len(), 1);
        assert_eq!(cat.tables.len(), 5);
        let cols = cat
            .table("tap_schema.columns")
            .expect("case-insensitive lookup");
        assert_eq!(cols.columns[0].name, "table_name");
        let size = cols.columns.iter().find(|c| c.sql_name == "size").unwrap();
        assert_eq!(
            (size.name.as_str(), size.datatype.as_str()),
            ("\"size\"", "int")
        );
        assert_eq!(cat.keys.len(), 5);
        assert_eq!(cat.keys[0].columns.len(), 1);
        assert_eq!(cat, load(&pool).await.unwrap());
    }
}
