//! Choosing FITS `TNULLn` values after the data: the values each integer column used are tracked while rows
//! are spooled, and a value no cell used becomes the null marker.

use super::binary;
use crate::datatype::{ColumnType, Datatype};

/// The values an integer column used, to find a free `TNULLn`.
#[derive(Debug, Clone)]
pub(crate) enum Used {
    /// Not an integer column (or a byte array: no TNULL, nulls are zeros).
    NotInt,
    /// `unsignedByte`/`short`: one bit per possible value.
    Bitmap { bits: Vec<u64>, offset: i64 },
    /// `int`/`long`: the range seen.
    Range { min: i64, max: i64 },
}

impl Used {
    pub(crate) fn for_type(t: &ColumnType) -> Used {
        match binary::column_sentinel(t).map(|_| t.datatype) {
            Some(Datatype::UnsignedByte) => Used::Bitmap {
                bits: vec![0; 256 / 64],
                offset: 0,
            },
            Some(Datatype::Short) => Used::Bitmap {
                bits: vec![0; 65536 / 64],
                offset: i16::MIN as i64,
            },
            Some(_) => Used::Range {
                min: i64::MAX,
                max: i64::MIN,
            },
            None => Used::NotInt,
        }
    }

    pub(crate) fn note(&mut self, v: i64) {
        match self {
            Used::NotInt => {}
            Used::Bitmap { bits, offset } => {
                let i = (v - *offset) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
            Used::Range { min, max } => {
                *min = (*min).min(v);
                *max = (*max).max(v);
            }
        }
    }

    /// A value no cell used: the type's minimum (255 for bytes) when free.
    pub(crate) fn free(&self, dt: Datatype) -> Option<i64> {
        let (lo, hi) = crate::cell::int_range(dt);
        match self {
            Used::NotInt => None,
            Used::Bitmap { bits, offset } => {
                let used =
                    |v: i64| bits[((v - offset) / 64) as usize] & (1 << ((v - offset) % 64)) != 0;
                let preferred = binary::int_null_sentinel(dt).unwrap_or(lo);
                std::iter::once(preferred)
                    .chain((lo..=hi).rev())
                    .find(|v| !used(*v))
            }
            Used::Range { min, max } => {
                if *min > lo {
                    Some(lo)
                } else if *max < hi {
                    Some(hi)
                } else {
                    None
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Field;

    fn used(dt: &str) -> (Used, Datatype) {
        let t = ColumnType::of(&Field {
            name: "c".into(),
            datatype: dt.into(),
            ..Default::default()
        })
        .unwrap();
        (Used::for_type(&t), t.datatype)
    }

    #[test]
    fn the_null_marker_is_a_value_no_cell_used() {
        let (mut u, dt) = used("short");
        assert_eq!(u.free(dt), Some(-32768));
        u.note(-32768);
        assert_eq!(u.free(dt), Some(32767));
        let (mut u, dt) = used("unsignedByte");
        for v in 0..=255 {
            u.note(v);
        }
        assert_eq!(u.free(dt), None, "every byte used: no TNULL possible");
        let (mut u, dt) = used("long");
        u.note(i64::MIN);
        u.note(5);
        assert_eq!(u.free(dt), Some(i64::MAX));
        u.note(i64::MAX);
        assert_eq!(u.free(dt), None);
    }
}
