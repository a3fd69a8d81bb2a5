//! Reading and writing TAP_SCHEMA and the service's private table metadata.

use super::definition::{self, quote_table, sql_name};
use almagest_common::catalog::{
    Catalogue, ColumnInfo, KeyInfo, PositionInfo, SchemaInfo, TableInfo,
};
use almagest_db::exec::{Arg, Pool, Tx, placeholders};

fn t(postgres: bool, name: &str) -> String {
    let (s, t) = sql_name(postgres, name);
    quote_table(s.as_deref(), &t)
}

/// Creates TAP_SCHEMA (if missing) and makes sure it describes itself. Idempotent; safe at every start.
pub async fn install(pool: &Pool) -> Result<(), sqlx::Error> {
    let pg = pool.is_postgres();
    let mut tx = pool.begin().await?;
    for stmt in definition::ddl(pg) {
        tx.execute(&stmt, &[]).await?;
    }
    let (schema, tables, keys) = definition::self_description(pg);
    // Rewrite the self-description each time: it then follows the code if a later version changes it.
    unregister_schema_rows(&mut tx, &schema.name).await?;
    register_schema(&mut tx, &schema).await?;
    for table in &tables {
        register_table(&mut tx, table).await?;
    }
    for key in &keys {
        register_key(&mut tx, key).await?;
    }
    bump_version(&mut tx).await?;
    tx.commit().await
}

/// Adds a schema row if it is not there.
pub async fn register_schema(tx: &mut Tx, s: &SchemaInfo) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let exists = format!("DELETE FROM {} WHERE schema_name = $1", t(pg, "schemas"));
    tx.execute(&exists, &[s.name.as_str().into()]).await?;
    let sql = format!(
        "INSERT INTO {} (schema_name, utype, description, schema_index) VALUES ({})",
        t(pg, "schemas"),
        placeholders(1, 4)
    );
    tx.execute(
        &sql,
        &[
            s.name.as_str().into(),
            s.utype.clone().into(),
            s.description.clone().into(),
            s.index.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Registers a table and its columns in TAP_SCHEMA and the private metadata (replacing an earlier entry).
pub async fn register_table(tx: &mut Tx, table: &TableInfo) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let qname = table.qualified_name();
    unregister_table(tx, &qname).await?;
    let sql = format!(
        "INSERT INTO {} (schema_name, table_name, table_type, utype, description, table_index) VALUES ({})",
        t(pg, "tables"),
        placeholders(1, 6)
    );
    tx.execute(
        &sql,
        &[
            table.schema.as_str().into(),
            qname.as_str().into(),
            table.table_type.as_str().into(),
            table.utype.clone().into(),
            table.description.clone().into(),
            table.index.into(),
        ],
    )
    .await?;
    let sql = format!(
        "INSERT INTO {} (table_name, column_name, datatype, arraysize, xtype, \"size\", description, utype, unit, \
         ucd, indexed, principal, std, column_index) VALUES ({})",
        t(pg, "columns"),
        placeholders(1, 14)
    );
    for c in &table.columns {
        tx.execute(
            &sql,
            &[
                qname.as_str().into(),
                c.name.as_str().into(),
                c.datatype.as_str().into(),
                c.arraysize.clone().into(),
                c.xtype.clone().into(),
                c.size().into(),
                c.description.clone().into(),
                c.utype.clone().into(),
                c.unit.clone().into(),
                c.ucd.clone().into(),
                c.indexed.into(),
                c.principal.into(),
                c.std.into(),
                c.index.into(),
            ],
        )
        .await?;
    }
    let p = table.position.as_ref();
    let sql = format!(
        "INSERT INTO almagest_tables (table_name, sql_schema, sql_table, ra_column, dec_column, hpx_column, \
         hpx_depth, nrows) VALUES ({})",
        placeholders(1, 8)
    );
    tx.execute(
        &sql,
        &[
            qname.as_str().into(),
            table.sql_schema.clone().into(),
            table.sql_table.as_str().into(),
            p.map(|p| p.ra.clone()).into(),
            p.map(|p| p.dec.clone()).into(),
            p.map(|p| p.hpx_column.clone()).into(),
            p.map(|p| p.depth as i64).into(),
            table.nrows.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Registers a foreign key.
pub async fn register_key(tx: &mut Tx, k: &KeyInfo) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let sql = format!(
        "INSERT INTO {} (key_id, from_table, target_table, description, utype) VALUES ({})",
        t(pg, "keys"),
        placeholders(1, 5)
    );
    tx.execute(
        &sql,
        &[
            k.key_id.as_str().into(),
            k.from_table.as_str().into(),
            k.target_table.as_str().into(),
            k.description.clone().into(),
            k.utype.clone().into(),
        ],
    )
    .await?;
    let sql = format!(
        "INSERT INTO {} (key_id, from_column, target_column) VALUES ($1, $2, $3)",
        t(pg, "key_columns")
    );
    for (from, target) in &k.columns {
        tx.execute(
            &sql,
            &[
                k.key_id.as_str().into(),
                from.as_str().into(),
                target.as_str().into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Removes a table (by qualified ADQL name) from TAP_SCHEMA and the private metadata, with the keys touching it.
pub async fn unregister_table(tx: &mut Tx, qname: &str) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let arg: [Arg; 1] = [qname.into()];
    let keys = t(pg, "keys");
    let sql = format!(
        "DELETE FROM {} WHERE key_id IN (SELECT key_id FROM {keys} WHERE from_table = $1 OR target_table = $1)",
        t(pg, "key_columns")
    );
    tx.execute(&sql, &arg).await?;
    tx.execute(
        &format!("DELETE FROM {keys} WHERE from_table = $1 OR target_table = $1"),
        &arg,
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM {} WHERE table_name = $1", t(pg, "columns")),
        &arg,
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM {} WHERE table_name = $1", t(pg, "tables")),
        &arg,
    )
    .await?;
    tx.execute("DELETE FROM almagest_tables WHERE table_name = $1", &arg)
        .await?;
    Ok(())
}

async fn unregister_schema_rows(tx: &mut Tx, schema: &str) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let sql = format!(
        "SELECT table_name FROM {} WHERE schema_name = $1",
        t(pg, "tables")
    );
    // Collect through a plain query on the transaction: the tables of this schema.
    let names = match tx {
        Tx::Sqlite(inner) => {
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .bind(schema)
                .fetch_all(&mut **inner)
                .await?
        }
        Tx::Postgres(inner) => {
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .bind(schema)
                .fetch_all(&mut **inner)
                .await?
        }
    };
    for n in names {
        unregister_table(tx, &n).await?;
    }
    tx.execute(
        &format!("DELETE FROM {} WHERE schema_name = $1", t(pg, "schemas")),
        &[schema.into()],
    )
    .await?;
    Ok(())
}

/// Drops a schema row when no table is left in it.
pub async fn drop_empty_schema(tx: &mut Tx, schema: &str) -> Result<(), sqlx::Error> {
    let pg = tx.is_postgres();
    let sql = format!(
        "DELETE FROM {} WHERE schema_name = $1 AND NOT EXISTS (SELECT 1 FROM {} WHERE schema_name = $1)",
        t(pg, "schemas"),
        t(pg, "tables")
    );
    tx.execute(&sql, &[schema.into()]).await?;
    Ok(())
}

/// Marks the catalogue as changed: running services reload it when they see a new version.
pub async fn bump_version(tx: &mut Tx) -> Result<(), sqlx::Error> {
    tx.execute(
        "INSERT INTO almagest_meta (key, value) VALUES ('catalogue_version', '1') \
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(almagest_meta.value AS INTEGER) + 1 AS TEXT)",
        &[],
    )
    .await?;
    Ok(())
}

/// The current catalogue version (changes whenever a table is added, replaced or dropped).
pub async fn version(pool: &Pool) -> Result<i64, sqlx::Error> {
    let rows = pool
        .fetch(
            "SELECT value FROM almagest_meta WHERE key = 'catalogue_version'",
            &[],
        )
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Arg::as_i64)
        .unwrap_or(0))
}

/// Loads the whole catalogue.
pub async fn load(pool: &Pool) -> Result<Catalogue, sqlx::Error> {
    let pg = pool.is_postgres();
    let schemas = pool
        .fetch(
            &format!(
                "SELECT schema_name, description, utype, schema_index FROM {} \
                 ORDER BY COALESCE(schema_index, 0), schema_name",
                t(pg, "schemas")
            ),
            &[],
        )
        .await?
        .into_iter()
        .map(|r| SchemaInfo {
            name: r[0].text().unwrap_or_default(),
            description: r[1].text(),
            utype: r[2].text(),
            index: r[3].as_i64(),
        })
        .collect();
    let private = pool
        .fetch(
            "SELECT table_name, sql_schema, sql_table, ra_column, dec_column, hpx_column, hpx_depth, nrows \
             FROM almagest_tables",
            &[],
        )
        .await?;
    let mut tables = Vec::new();
    let rows = pool
        .fetch(
            &format!(
                "SELECT schema_name, table_name, table_type, utype, description, table_index FROM {} \
                 ORDER BY COALESCE(table_index, 0), table_name",
                t(pg, "tables")
            ),
            &[],
        )
        .await?;
    let col_rows = pool
        .fetch(
            &format!(
                "SELECT table_name, column_name, datatype, arraysize, xtype, description, utype, unit, ucd, \
                 indexed, principal, std, column_index FROM {} ORDER BY table_name, COALESCE(column_index, 0)",
                t(pg, "columns")
            ),
            &[],
        )
        .await?;
    for r in rows {
        let schema = r[0].text().unwrap_or_default();
        let qname = r[1].text().unwrap_or_default();
        let name = qname
            .strip_prefix(&format!("{schema}."))
            .unwrap_or(&qname)
            .to_string();
        let Some(p) = private
            .iter()
            .find(|p| p[0].as_str() == Some(qname.as_str()))
        else {
            tracing::warn!(table = %qname, "TAP_SCHEMA lists a table without service metadata; not published");
            continue;
        };
        let position = match (p[3].text(), p[4].text(), p[5].text(), p[6].as_i64()) {
            (Some(ra), Some(dec), Some(hpx), Some(depth)) => Some(PositionInfo {
                ra,
                dec,
                hpx_column: hpx,
                depth: depth.clamp(0, 29) as u8,
            }),
            _ => None,
        };
        let columns = col_rows
            .iter()
            .filter(|c| c[0].as_str() == Some(qname.as_str()))
            .map(|c| ColumnInfo {
                name: c[1].text().unwrap_or_default(),
                sql_name: adql::undelimited(&c[1].text().unwrap_or_default()),
                datatype: c[2].text().unwrap_or_default(),
                arraysize: c[3].text(),
                xtype: c[4].text(),
                description: c[5].text(),
                utype: c[6].text(),
                unit: c[7].text(),
                ucd: c[8].text(),
                indexed: c[9].as_i64() == Some(1),
                principal: c[10].as_i64() == Some(1),
                std: c[11].as_i64() == Some(1),
                index: c[12].as_i64(),
            })
            .collect();
        tables.push(TableInfo {
            schema,
            name,
            table_type: r[2].text().unwrap_or_else(|| "table".into()),
            utype: r[3].text(),
            description: r[4].text(),
            index: r[5].as_i64(),
            nrows: p[7].as_i64(),
            sql_schema: p[1].text(),
            sql_table: p[2].text().unwrap_or_default(),
            position,
            columns,
        });
    }
    let key_rows = pool
        .fetch(
            &format!(
                "SELECT key_id, from_table, target_table, description, utype FROM {} ORDER BY key_id",
                t(pg, "keys")
            ),
            &[],
        )
        .await?;
    let kc_rows = pool
        .fetch(
            &format!(
                "SELECT key_id, from_column, target_column FROM {}",
                t(pg, "key_columns")
            ),
            &[],
        )
        .await?;
    let keys = key_rows
        .into_iter()
        .map(|k| {
            let id = k[0].text().unwrap_or_default();
            KeyInfo {
                columns: kc_rows
                    .iter()
                    .filter(|c| c[0].as_str() == Some(id.as_str()))
                    .map(|c| {
                        (
                            c[1].text().unwrap_or_default(),
                            c[2].text().unwrap_or_default(),
                        )
                    })
                    .collect(),
                key_id: id,
                from_table: k[1].text().unwrap_or_default(),
                target_table: k[2].text().unwrap_or_default(),
                description: k[3].text(),
                utype: k[4].text(),
            }
        })
        .collect();
    Ok(Catalogue {
        schemas,
        tables,
        keys,
    })
}
