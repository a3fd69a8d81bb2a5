//! Reserved words (ADQL 2.1 §2.1.3): the SQL-92 list and the ADQL list. A regular identifier may not be one
//! of them; a delimited identifier may (`"size"`, `"distance"`).

/// SQL-92 reserved words, as the ADQL 2.1 grammar lists them.
const SQL: &[&str] = &[
    "ABSOLUTE", "ACTION", "ADD", "ALL", "ALLOCATE", "ALTER", "AND", "ANY", "ARE", "AS", "ASC", "ASSERTION", "AT",
    "AUTHORIZATION", "AVG", "BEGIN", "BETWEEN", "BIT", "BIT_LENGTH", "BOTH", "BY", "CASCADE", "CASCADED", "CASE",
    "CATALOG", "CHARACTER", "CHAR_LENGTH", "CHARACTER_LENGTH", "CHECK", "CLOSE", "COLLATE", "COLLATION", "COLUMN",
    "COMMIT", "CONNECT", "CONNECTION", "CONSTRAINT", "CONSTRAINTS", "CONTINUE", "CONVERT", "CORRESPONDING", "COUNT",
    "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "CURSOR",
    "DATE", "DAY", "DEALLOCATE", "DECIMAL", "DECLARE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC",
    "DESCRIBE", "DESCRIPTOR", "DIAGNOSTICS", "DISCONNECT", "DISTINCT", "DOMAIN", "DROP", "ELSE", "END", "END-EXEC",
    "ESCAPE", "EXCEPT", "EXCEPTION", "EXEC", "EXECUTE", "EXISTS", "EXTERNAL", "EXTRACT", "FALSE", "FETCH", "FIRST",
    "FLOAT", "FOR", "FOREIGN", "FOUND", "FROM", "FULL", "GET", "GLOBAL", "GO", "GOTO", "GRANT", "GROUP", "HAVING",
    "HOUR", "IDENTITY", "ILIKE", "IMMEDIATE", "IN", "INDICATOR", "INITIALLY", "INNER", "INPUT", "INSENSITIVE",
    "INSERT", "INT", "INTERSECT", "INTERVAL", "INTO", "IS", "ISOLATION", "JOIN", "KEY", "LANGUAGE", "LAST",
    "LEADING", "LEFT", "LEVEL", "LIKE", "LOCAL", "LOWER", "MATCH", "MAX", "MIN", "MINUTE", "MODULE", "MONTH",
    "NAMES", "NATIONAL", "NATURAL", "NCHAR", "NEXT", "NO", "NOT", "NULLIF", "NUMERIC", "OCTET_LENGTH", "OF", "ON",
    "ONLY", "OPEN", "OPTION", "OR", "ORDER", "OUTER", "OUTPUT", "OVERLAPS", "PAD", "PARTIAL", "POSITION", "PREPARE",
    "PRESERVE", "PRIMARY", "PRIOR", "PRIVILEGES", "PROCEDURE", "PUBLIC", "READ", "REFERENCES", "RELATIVE",
    "RESTRICT", "REVOKE", "RIGHT", "ROLLBACK", "ROWS", "SCHEMA", "SCROLL", "SECOND", "SECTION", "SELECT",
    "SESSION", "SESSION_USER", "SET", "SIZE", "SOME", "SPACE", "SQL", "SQLCODE", "SQLERROR", "SQLSTATE",
    "SUBSTRING", "SUM", "SYSTEM_USER", "TABLE", "TEMPORARY", "THEN", "TIME", "TIMEZONE_HOUR", "TIMEZONE_MINUTE",
    "TO", "TRAILING", "TRANSACTION", "TRANSLATE", "TRANSLATION", "TRIM", "TRUE", "UNION", "UNIQUE", "UNKNOWN",
    "UPDATE", "UPPER", "USAGE", "USER", "USING", "VALUE", "VALUES", "VARYING", "VIEW", "WHEN", "WHENEVER", "WHERE",
    "WITH", "WORK", "WRITE", "YEAR", "ZONE",
];

/// ADQL's own reserved words (plus OFFSET, a keyword of ADQL 2.1's grammar).
const ADQL: &[&str] = &[
    "ABS", "ACOS", "AREA", "ASIN", "ATAN", "ATAN2", "BIGINT", "BOX", "CAST", "CEILING", "CENTROID", "CHAR", "CIRCLE",
    "COALESCE", "CONTAINS", "COORD1", "COORD2", "COORDSYS", "COS", "COT", "DEGREES", "DISTANCE", "DOUBLE", "EXP",
    "FLOOR", "INTEGER", "INTERSECTS", "IN_UNIT", "LOG", "LOG10", "MOD", "NULL", "OFFSET", "PI", "POINT", "POLYGON",
    "POWER", "PRECISION", "RADIANS", "REAL", "REGION", "RAND", "ROUND", "SIN", "SMALLINT", "SQRT", "TIMESTAMP",
    "TOP", "TAN", "TRUNCATE", "VARCHAR",
];

/// Whether `word` (a regular identifier) is reserved.
pub fn is_reserved(word: &str) -> bool {
    static ALL: std::sync::OnceLock<std::collections::HashSet<&'static str>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| SQL.iter().chain(ADQL).copied().collect());
    all.contains(word.to_ascii_uppercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words() {
        for w in ["distance", "Size", "select", "TOP", "offset", "region", "value", "first"] {
            assert!(is_reserved(w), "{w}");
        }
        for w in ["ra", "dec", "hip", "name", "plx", "var", "type", "flag", "alpha"] {
            assert!(!is_reserved(w), "{w}");
        }
    }
}
