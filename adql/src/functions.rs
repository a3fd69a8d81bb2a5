//! The functions ADQL 2.1 defines (§2.3 math and trigonometry, §4.2 geometry, §4.4 strings, §4.9 units) and the
//! shapes of their arguments, checked while parsing.

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Builtin {
    Abs,
    Ceiling,
    Degrees,
    Exp,
    Floor,
    Log,
    Log10,
    Mod,
    Pi,
    Power,
    Radians,
    Rand,
    Round,
    Sqrt,
    Truncate,
    Acos,
    Asin,
    Atan,
    Atan2,
    Cos,
    Cot,
    Sin,
    Tan,
    Lower,
    Upper,
    InUnit,
    Point,
    Circle,
    Box,
    Polygon,
    Region,
    Centroid,
    Contains,
    Intersects,
    Distance,
    Area,
    Coord1,
    Coord2,
    Coordsys,
}

use Builtin::*;

const TABLE: &[(&str, Builtin)] = &[
    ("ABS", Abs),
    ("CEILING", Ceiling),
    ("DEGREES", Degrees),
    ("EXP", Exp),
    ("FLOOR", Floor),
    ("LOG", Log),
    ("LOG10", Log10),
    ("MOD", Mod),
    ("PI", Pi),
    ("POWER", Power),
    ("RADIANS", Radians),
    ("RAND", Rand),
    ("ROUND", Round),
    ("SQRT", Sqrt),
    ("TRUNCATE", Truncate),
    ("ACOS", Acos),
    ("ASIN", Asin),
    ("ATAN", Atan),
    ("ATAN2", Atan2),
    ("COS", Cos),
    ("COT", Cot),
    ("SIN", Sin),
    ("TAN", Tan),
    ("LOWER", Lower),
    ("UPPER", Upper),
    ("IN_UNIT", InUnit),
    ("POINT", Point),
    ("CIRCLE", Circle),
    ("BOX", Box),
    ("POLYGON", Polygon),
    ("REGION", Region),
    ("CENTROID", Centroid),
    ("CONTAINS", Contains),
    ("INTERSECTS", Intersects),
    ("DISTANCE", Distance),
    ("AREA", Area),
    ("COORD1", Coord1),
    ("COORD2", Coord2),
    ("COORDSYS", Coordsys),
];

impl Builtin {
    /// The function a name denotes, case-insensitively.
    pub fn lookup(name: &str) -> Option<Builtin> {
        TABLE
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, b)| *b)
    }

    /// Its ADQL name.
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, b)| *b == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Allowed argument counts (min, max) of the plain numeric/string functions; geometry functions have their
    /// own rules in the parser.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Pi => (0, 0),
            Rand => (0, 1),
            Round | Truncate => (1, 2),
            Mod | Power | Atan2 | InUnit => (2, 2),
            Point => (2, 3),
            Circle => (2, 4),
            Box => (3, 5),
            Polygon => (3, usize::MAX),
            Distance => (2, 4),
            Contains | Intersects => (2, 2),
            _ => (1, 1),
        }
    }

    /// Whether this is one of the geometry functions of §4.2.
    pub fn is_geometry(self) -> bool {
        matches!(
            self,
            Point
                | Circle
                | Box
                | Polygon
                | Region
                | Centroid
                | Contains
                | Intersects
                | Distance
                | Area
                | Coord1
                | Coord2
                | Coordsys
        )
    }
}
