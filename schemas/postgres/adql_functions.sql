-- The ADQL runtime functions (services/db/FUNCTIONS.md) for PostgreSQL: the same names, arguments and answers as
-- the SQLite versions (services/db/src/sky/, services/db/src/scalar.rs). Angles in degrees; geometry values are
-- DALI text. The floating-point work follows the Rust code operation by operation (radians(x) is x * RAD there),
-- so on one machine both backends give the same bits; services/db/tests/functions_cross_backend.rs checks it.
-- Geometry text relies on float8 output in shortest form (extra_float_digits > 0, PostgreSQL's default is 1 and
-- sqlx sets 2).
--
-- Installed by almagest-db whenever it opens a PostgreSQL database. The whole file runs as one implicit
-- transaction (one simple-protocol query); the advisory lock serialises services starting at the same moment,
-- which would otherwise fail with "tuple concurrently updated".
SELECT pg_advisory_xact_lock(7358021946);

-- Earlier signatures replaced by the ones below.
DROP FUNCTION IF EXISTS adql_truncate(float8, integer);
DROP FUNCTION IF EXISTS adql_nums(text);

-- A float8 as text, laid out as sky::fmt writes it: integers below 1e15 without a fraction, else the shortest
-- round-trip form with the exponent written e-7 / e15 (PostgreSQL writes e-07 / e+15).
CREATE OR REPLACE FUNCTION adql_num(x float8) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN x = trunc(x) AND abs(x) < 1e15 THEN trunc(x)::bigint::text
              WHEN strpos(x::text, 'e') > 0 THEN regexp_replace(x::text, 'e\+?(-?)0*([0-9])', 'e\1\2')
              ELSE x::text END $$;

CREATE OR REPLACE FUNCTION adql_finite(x float8) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT x NOT IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) $$;

-- Checks the numbers of a geometry as sky::Shape::parse does and returns them; `fname` starts the messages.
CREATE OR REPLACE FUNCTION adql_check(a float8[], g text, fname text) RETURNS float8[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE n int := coalesce(array_length(a, 1), 0);
BEGIN
  FOR i IN 1..n LOOP
    IF NOT adql_finite(a[i]) THEN
      RAISE EXCEPTION '%: geometry ''%'' has a non-finite coordinate', fname, left(g, 60);
    END IF;
  END LOOP;
  IF n = 2 OR n = 3 OR (n >= 6 AND n % 2 = 0) THEN
    FOR i IN 2..(CASE WHEN n = 3 THEN 2 ELSE n END) BY 2 LOOP
      IF a[i] < -90 OR a[i] > 90 THEN
        RAISE EXCEPTION '%: latitude % is outside [-90, 90]', fname, adql_num(a[i]);
      END IF;
    END LOOP;
    IF n = 3 AND NOT (a[3] > 0 AND a[3] <= 180) THEN
      RAISE EXCEPTION '%: circle radius % is outside (0, 180]', fname, adql_num(a[3]);
    END IF;
    RETURN a;
  END IF;
  RAISE EXCEPTION '%: geometry ''%'' has % numbers: a point has 2, a circle 3, a polygon 6 or more (an even count)',
    fname, left(g, 60), n;
END $$;

-- The numbers of DALI text, checked.
CREATE OR REPLACE FUNCTION adql_parse(g text, fname text) RETURNS float8[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  words text[];
  num constant text := '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?';
BEGIN
  IF g ~ ('^[ \t\n\r\f]*' || num || '([ \t\n\r\f]+' || num || ')*[ \t\n\r\f]*$') THEN
    RETURN adql_check(regexp_split_to_array(btrim(g, E' \t\n\r\f'), E'[ \t\n\r\f]+')::float8[], g, fname);
  END IF;
  IF btrim(g, E' \t\n\r\f') = '' THEN
    RETURN adql_check('{}'::float8[], g, fname);
  END IF;
  words := regexp_split_to_array(btrim(g, E' \t\n\r\f'), E'[ \t\n\r\f]+');
  FOR i IN 1..array_length(words, 1) LOOP
    IF lower(words[i]) IN ('nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity') THEN
      RAISE EXCEPTION '%: geometry ''%'' has a non-finite coordinate', fname, left(g, 60);
    END IF;
    IF words[i] !~ ('^' || num || '$') THEN
      RAISE EXCEPTION '%: ''%'' is not a number in geometry ''%''', fname, words[i], left(g, 60);
    END IF;
  END LOOP;
  RAISE EXCEPTION '%: geometry ''%'' is not DALI text', fname, left(g, 60);
END $$;

CREATE OR REPLACE FUNCTION adql_point(lon float8, lat float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  PERFORM adql_check(ARRAY[lon, lat], 'POINT', 'adql_point');
  RETURN adql_num(lon) || ' ' || adql_num(lat);
END $$;

CREATE OR REPLACE FUNCTION adql_circle(lon float8, lat float8, r float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  PERFORM adql_check(ARRAY[lon, lat, r], 'CIRCLE', 'adql_circle');
  RETURN adql_num(lon) || ' ' || adql_num(lat) || ' ' || adql_num(r);
END $$;

CREATE OR REPLACE FUNCTION adql_polygon(VARIADIC c float8[]) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE n int := coalesce(array_length(c, 1), 0);
BEGIN
  IF array_position(c, NULL) IS NOT NULL THEN RETURN NULL; END IF;
  IF n < 6 OR n % 2 = 1 THEN
    RAISE EXCEPTION 'adql_polygon: a polygon needs an even number (>= 6) of coordinates, not %', n;
  END IF;
  PERFORM adql_check(c, 'POLYGON', 'adql_polygon');
  RETURN (SELECT string_agg(adql_num(v), ' ' ORDER BY o) FROM unnest(c) WITH ORDINALITY AS t(v, o));
END $$;

-- sky::box_vertices
CREATE OR REPLACE FUNCTION adql_box(lon float8, lat float8, w float8, h float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  hw float8 := w / 2;
  top float8 := least(lat + h / 2, 90);
  bottom float8 := greatest(lat - h / 2, -90);
  sb float8 := hw / greatest(cos(radians(bottom)), 1e-9);
  st float8 := hw / greatest(cos(radians(top)), 1e-9);
BEGIN
  RETURN adql_polygon(lon - sb, bottom, lon + sb, bottom, lon + st, top, lon - st, top);
END $$;

-- Vincenty's formula (sky::distance): accurate for tiny and antipodal separations.
CREATE OR REPLACE FUNCTION adql_distance(lon1 float8, lat1 float8, lon2 float8, lat2 float8) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT degrees(atan2(
    sqrt((cos(radians(lat2)) * sin(radians(lon2 - lon1))) * (cos(radians(lat2)) * sin(radians(lon2 - lon1)))
       + (cos(radians(lat1)) * sin(radians(lat2)) - sin(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)))
       * (cos(radians(lat1)) * sin(radians(lat2)) - sin(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)))),
    sin(radians(lat1)) * sin(radians(lat2)) + cos(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)))) $$;

CREATE OR REPLACE FUNCTION adql_in_circle(lon float8, lat float8, clon float8, clat float8, r float8) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN adql_distance(lon, lat, clon, clat) <= r THEN 1 ELSE 0 END $$;

-- Unit vectors of the (lon, lat) pairs in `a`, three numbers each (sky::vec).
CREATE OR REPLACE FUNCTION adql_vectors(a float8[]) RETURNS float8[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE v float8[] := '{}'; l float8; b float8;
BEGIN
  FOR i IN 1..coalesce(array_length(a, 1), 0) BY 2 LOOP
    l := radians(a[i]); b := radians(a[i + 1]);
    v := v || ARRAY[cos(b) * cos(l), cos(b) * sin(l), sin(b)];
  END LOOP;
  RETURN v;
END $$;

-- Angle (radians) between unit vectors a and b (sky::angle).
CREATE OR REPLACE FUNCTION adql_angle(ax float8, ay float8, az float8, bx float8, by_ float8, bz float8)
  RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT atan2(sqrt((ay * bz - az * by_) * (ay * bz - az * by_) + (az * bx - ax * bz) * (az * bx - ax * bz)
                    + (ax * by_ - ay * bx) * (ax * by_ - ay * bx)),
               ax * bx + ay * by_ + az * bz) $$;

-- Whether the polygon with vertex vectors v holds the point p (sky::Polygon::contains_vec).
CREATE OR REPLACE FUNCTION adql_poly_has(v float8[], px float8, py float8, pz float8) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  n int := array_length(v, 1) / 3; j int; k int;
  sx float8 := 0; sy float8 := 0; sz float8 := 0; total float8 := 0; d float8;
  tax float8; tay float8; taz float8; tbx float8; tby float8; tbz float8;
BEGIN
  -- points on the far side of the sphere are outside (polygons are smaller than a hemisphere)
  FOR i IN 0..n - 1 LOOP
    sx := sx + v[3*i+1]; sy := sy + v[3*i+2]; sz := sz + v[3*i+3];
  END LOOP;
  IF px * sx + py * sy + pz * sz <= 0 THEN RETURN false; END IF;
  -- winding number on the tangent plane at p
  FOR i IN 0..n - 1 LOOP
    j := 3 * i; k := 3 * ((i + 1) % n);
    d := v[j+1] * px + v[j+2] * py + v[j+3] * pz;
    tax := v[j+1] - px * d; tay := v[j+2] - py * d; taz := v[j+3] - pz * d;
    d := v[k+1] * px + v[k+2] * py + v[k+3] * pz;
    tbx := v[k+1] - px * d; tby := v[k+2] - py * d; tbz := v[k+3] - pz * d;
    total := total + atan2(px * (tay * tbz - taz * tby) + py * (taz * tbx - tax * tbz) + pz * (tax * tby - tay * tbx),
                           tax * tbx + tay * tby + taz * tbz);
  END LOOP;
  RETURN abs(total) > pi();
END $$;

-- Angular distance (radians) from p to the arc between vertices i and i+1 of v (sky::arc_distance).
CREATE OR REPLACE FUNCTION adql_arc_distance(v float8[], i int, px float8, py float8, pz float8) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  m int := array_length(v, 1) / 3; j int := 3 * i; k int := 3 * ((i + 1) % m);
  ax float8 := v[j+1]; ay float8 := v[j+2]; az float8 := v[j+3];
  bx float8 := v[k+1]; by_ float8 := v[k+2]; bz float8 := v[k+3];
  nx float8 := ay * bz - az * by_; ny float8 := az * bx - ax * bz; nz float8 := ax * by_ - ay * bx;
  nn float8 := sqrt(nx * nx + ny * ny + nz * nz); s float8; d float8; qx float8; qy float8; qz float8; cx float8;
  cy float8; cz float8;
BEGIN
  IF nn < 1e-15 THEN RETURN adql_angle(px, py, pz, ax, ay, az); END IF;
  s := 1.0::float8 / nn; nx := nx * s; ny := ny * s; nz := nz * s;
  d := px * nx + py * ny + pz * nz;
  qx := px - nx * d; qy := py - ny * d; qz := pz - nz * d;
  s := sqrt(qx * qx + qy * qy + qz * qz);
  IF s > 1e-15 THEN
    s := 1.0::float8 / s; cx := qx * s; cy := qy * s; cz := qz * s;
    IF (ay * cz - az * cy) * nx + (az * cx - ax * cz) * ny + (ax * cy - ay * cx) * nz >= 0
       AND (cy * bz - cz * by_) * nx + (cz * bx - cx * bz) * ny + (cx * by_ - cy * bx) * nz >= 0 THEN
      RETURN asin(abs(d));
    END IF;
  END IF;
  RETURN least(adql_angle(px, py, pz, ax, ay, az), adql_angle(px, py, pz, bx, by_, bz));
END $$;

-- Smallest angular distance (radians) from p to the edges of the polygon v (sky::Polygon::edge_distance).
CREATE OR REPLACE FUNCTION adql_edge_distance(v float8[], px float8, py float8, pz float8) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE best float8 := 'Infinity';
BEGIN
  FOR i IN 0..array_length(v, 1) / 3 - 1 LOOP
    best := least(best, adql_arc_distance(v, i, px, py, pz));
  END LOOP;
  RETURN best;
END $$;

CREATE OR REPLACE FUNCTION adql_side(x float8) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN x > 1e-15 THEN 1 WHEN x < -1e-15 THEN -1 ELSE 0 END $$;

-- Whether edge i of polygon v and edge j of polygon w cross or touch (sky::arcs_cross).
CREATE OR REPLACE FUNCTION adql_arcs_cross(v float8[], i int, w float8[], j int) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  p int := 3 * i; q int := 3 * ((i + 1) % (array_length(v, 1) / 3));
  r int := 3 * j; s int := 3 * ((j + 1) % (array_length(w, 1) / 3));
  ax float8 := v[p+1]; ay float8 := v[p+2]; az float8 := v[p+3]; bx float8 := v[q+1]; by_ float8 := v[q+2];
  bz float8 := v[q+3];
  cx float8 := w[r+1]; cy float8 := w[r+2]; cz float8 := w[r+3]; dx float8 := w[s+1]; dy float8 := w[s+2];
  dz float8 := w[s+3];
  n1x float8 := ay * bz - az * by_; n1y float8 := az * bx - ax * bz; n1z float8 := ax * by_ - ay * bx;
  n2x float8 := cy * dz - cz * dy; n2y float8 := cz * dx - cx * dz; n2z float8 := cx * dy - cy * dx;
  xx float8; xy float8; xz float8; nx float8; k float8;
BEGIN
  IF adql_side(n2x * ax + n2y * ay + n2z * az) * adql_side(n2x * bx + n2y * by_ + n2z * bz) > 0
     OR adql_side(n1x * cx + n1y * cy + n1z * cz) * adql_side(n1x * dx + n1y * dy + n1z * dz) > 0 THEN
    RETURN false;
  END IF;
  -- both great circles cross; the intersection must lie within both arcs (and not at the antipode)
  xx := n1y * n2z - n1z * n2y; xy := n1z * n2x - n1x * n2z; xz := n1x * n2y - n1y * n2x;
  nx := sqrt(xx * xx + xy * xy + xz * xz);
  IF nx < 1e-15 THEN RETURN false; END IF;
  k := 1.0::float8 / nx; xx := xx * k; xy := xy * k; xz := xz * k;
  FOR sgn IN 0..1 LOOP
    IF sgn = 1 THEN xx := xx * -1.0::float8; xy := xy * -1.0::float8; xz := xz * -1.0::float8; END IF;
    IF abs(adql_angle(ax, ay, az, xx, xy, xz) + adql_angle(xx, xy, xz, bx, by_, bz)
           - adql_angle(ax, ay, az, bx, by_, bz)) < 1e-9
       AND abs(adql_angle(cx, cy, cz, xx, xy, xz) + adql_angle(xx, xy, xz, dx, dy, dz)
           - adql_angle(cx, cy, cz, dx, dy, dz)) < 1e-9 THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;

CREATE OR REPLACE FUNCTION adql_any_edges_cross(v float8[], w float8[]) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  FOR i IN 0..array_length(v, 1) / 3 - 1 LOOP
    FOR j IN 0..array_length(w, 1) / 3 - 1 LOOP
      IF adql_arcs_cross(v, i, w, j) THEN RETURN true; END IF;
    END LOOP;
  END LOOP;
  RETURN false;
END $$;

-- Whether every vertex of the polygon `a` (lon/lat numbers) lies in the polygon with vertex vectors w.
CREATE OR REPLACE FUNCTION adql_all_vertices_in(a float8[], w float8[]) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE p float8[];
BEGIN
  FOR i IN 1..array_length(a, 1) BY 2 LOOP
    p := adql_vectors(ARRAY[a[i], a[i+1]]);
    IF NOT adql_poly_has(w, p[1], p[2], p[3]) THEN RETURN false; END IF;
  END LOOP;
  RETURN true;
END $$;

CREATE OR REPLACE FUNCTION adql_any_vertex_in(a float8[], w float8[]) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE p float8[];
BEGIN
  FOR i IN 1..array_length(a, 1) BY 2 LOOP
    p := adql_vectors(ARRAY[a[i], a[i+1]]);
    IF adql_poly_has(w, p[1], p[2], p[3]) THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;

CREATE OR REPLACE FUNCTION adql_geometry(g text, kind text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g, 'adql_geometry'); n int := array_length(a, 1);
  k text := CASE WHEN n = 2 THEN 'point' WHEN n = 3 THEN 'circle' ELSE 'polygon' END;
BEGIN
  IF k <> kind THEN RAISE EXCEPTION 'adql_geometry: ''%'' is a %, not a %', g, k, kind; END IF;
  IF n = 2 THEN RETURN adql_point(a[1], a[2]);
  ELSIF n = 3 THEN RETURN adql_circle(a[1], a[2], a[3]);
  END IF;
  RETURN adql_polygon(VARIADIC a);
END $$;

CREATE OR REPLACE FUNCTION adql_in_polygon(lon float8, lat float8, poly text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(poly, 'adql_in_polygon'); p float8[] := adql_vectors(ARRAY[lon, lat]);
BEGIN
  IF array_length(a, 1) < 6 THEN
    RAISE EXCEPTION 'adql_in_polygon: the third argument is a %, not a polygon',
      CASE WHEN array_length(a, 1) = 2 THEN 'point' ELSE 'circle' END;
  END IF;
  RETURN CASE WHEN adql_poly_has(adql_vectors(a), p[1], p[2], p[3]) THEN 1 ELSE 0 END;
END $$;

-- sky::contains, pair by pair.
CREATE OR REPLACE FUNCTION adql_contains(g1 text, g2 text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g1, 'adql_contains'); b float8[] := adql_parse(g2, 'adql_contains');
  na int := array_length(a, 1); nb int := array_length(b, 1); w float8[]; c float8[]; ok boolean;
BEGIN
  IF na = 2 AND nb = 2 THEN ok := adql_distance(a[1], a[2], b[1], b[2]) < 1e-10;
  ELSIF na = 2 AND nb = 3 THEN ok := adql_distance(a[1], a[2], b[1], b[2]) <= b[3];
  ELSIF na = 2 THEN c := adql_vectors(a); ok := adql_poly_has(adql_vectors(b), c[1], c[2], c[3]);
  ELSIF nb = 2 THEN ok := false;
  ELSIF na = 3 AND nb = 3 THEN ok := adql_distance(a[1], a[2], b[1], b[2]) + a[3] <= b[3];
  ELSIF na = 3 THEN
    -- the centre inside and every edge at least r away
    w := adql_vectors(b); c := adql_vectors(ARRAY[a[1], a[2]]);
    ok := adql_poly_has(w, c[1], c[2], c[3]) AND adql_edge_distance(w, c[1], c[2], c[3]) >= radians(a[3]);
  ELSIF nb = 3 THEN
    IF b[3] <= 90 THEN
      -- a cap up to a hemisphere holds every arc between two of its points
      ok := true;
      FOR i IN 1..na BY 2 LOOP
        IF NOT adql_distance(a[i], a[i+1], b[1], b[2]) <= b[3] THEN ok := false; EXIT; END IF;
      END LOOP;
    ELSE
      -- a larger cap: the polygon must stay clear of the smaller cap around the antipode
      w := adql_vectors(a); c := adql_vectors(ARRAY[b[1], b[2]]);
      c := ARRAY[c[1] * -1.0::float8, c[2] * -1.0::float8, c[3] * -1.0::float8];
      ok := NOT adql_poly_has(w, c[1], c[2], c[3])
            AND adql_edge_distance(w, c[1], c[2], c[3]) >= radians(180 - b[3]);
    END IF;
  ELSE
    w := adql_vectors(b);
    ok := adql_all_vertices_in(a, w) AND NOT adql_any_edges_cross(adql_vectors(a), w);
  END IF;
  RETURN CASE WHEN ok THEN 1 ELSE 0 END;
END $$;

-- sky::intersects, pair by pair.
CREATE OR REPLACE FUNCTION adql_intersects(g1 text, g2 text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g1, 'adql_intersects'); b float8[] := adql_parse(g2, 'adql_intersects');
  na int := array_length(a, 1); nb int := array_length(b, 1); w float8[]; c float8[]; ok boolean; t float8[];
BEGIN
  IF na = 2 THEN RETURN adql_contains(g1, g2);
  ELSIF nb = 2 THEN RETURN adql_contains(g2, g1);
  ELSIF na = 3 AND nb = 3 THEN ok := adql_distance(a[1], a[2], b[1], b[2]) <= a[3] + b[3];
  ELSIF na = 3 OR nb = 3 THEN
    IF nb = 3 THEN t := a; a := b; b := t; END IF;
    w := adql_vectors(b); c := adql_vectors(ARRAY[a[1], a[2]]);
    ok := adql_poly_has(w, c[1], c[2], c[3]) OR adql_edge_distance(w, c[1], c[2], c[3]) <= radians(a[3]);
  ELSE
    ok := adql_any_vertex_in(a, adql_vectors(b)) OR adql_any_vertex_in(b, adql_vectors(a))
          OR adql_any_edges_cross(adql_vectors(a), adql_vectors(b));
  END IF;
  RETURN CASE WHEN ok THEN 1 ELSE 0 END;
END $$;

-- Square degrees (sky::area): spherical excess of a fan of triangles.
CREATE OR REPLACE FUNCTION adql_area(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g, 'adql_area'); n int := array_length(a, 1);
  k float8 := (180 / pi()) * (180 / pi()); v float8[]; s float8 := 0; p int; q int;
BEGIN
  IF n = 2 THEN RETURN 0; END IF;
  IF n = 3 THEN RETURN 2 * pi() * (1 - cos(radians(a[3]))) * k; END IF;
  v := adql_vectors(a);
  FOR i IN 1..n / 2 - 2 LOOP
    p := 3 * i; q := 3 * (i + 1);
    s := s + 2 * atan2(
      v[1] * (v[p+2] * v[q+3] - v[p+3] * v[q+2]) + v[2] * (v[p+3] * v[q+1] - v[p+1] * v[q+3])
        + v[3] * (v[p+1] * v[q+2] - v[p+2] * v[q+1]),
      1 + (v[1] * v[p+1] + v[2] * v[p+2] + v[3] * v[p+3]) + (v[p+1] * v[q+1] + v[p+2] * v[q+2] + v[p+3] * v[q+3])
        + (v[q+1] * v[1] + v[q+2] * v[2] + v[q+3] * v[3]));
  END LOOP;
  RETURN abs(s) * k;
END $$;

-- sky::centroid: a circle's centre, the normalised sum of a polygon's vertex vectors.
CREATE OR REPLACE FUNCTION adql_centroid(g text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g, 'adql_centroid'); n int := array_length(a, 1); v float8[];
  x float8 := 0; y float8 := 0; z float8 := 0; nn float8; lon float8;
BEGIN
  IF n <= 3 THEN RETURN adql_num(a[1]) || ' ' || adql_num(a[2]); END IF;
  v := adql_vectors(a);
  FOR i IN 0..n / 2 - 1 LOOP
    x := x + v[3*i+1]; y := y + v[3*i+2]; z := z + v[3*i+3];
  END LOOP;
  nn := sqrt(x * x + y * y + z * z);
  IF nn = 0 THEN RETURN '0 0'; END IF;
  lon := degrees(atan2(y, x));
  IF lon < 0 THEN lon := lon + 360; END IF;
  IF lon >= 360 THEN lon := 0; END IF;
  RETURN adql_num(lon) || ' ' || adql_num(degrees(asin(least(1, greatest(-1, z / nn)))));
END $$;

CREATE OR REPLACE FUNCTION adql_coord1(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g, 'adql_coord1');
BEGIN
  IF array_length(a, 1) <> 2 THEN
    RAISE EXCEPTION 'adql_coord1: COORD1/COORD2 take a point, not a %',
      CASE WHEN array_length(a, 1) = 3 THEN 'circle' ELSE 'polygon' END;
  END IF;
  RETURN a[1];
END $$;

CREATE OR REPLACE FUNCTION adql_coord2(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g, 'adql_coord2');
BEGIN
  IF array_length(a, 1) <> 2 THEN
    RAISE EXCEPTION 'adql_coord2: COORD1/COORD2 take a point, not a %',
      CASE WHEN array_length(a, 1) = 3 THEN 'circle' ELSE 'polygon' END;
  END IF;
  RETURN a[2];
END $$;

CREATE OR REPLACE FUNCTION adql_geom_distance(g1 text, g2 text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_parse(g1, 'adql_geom_distance'); b float8[] := adql_parse(g2, 'adql_geom_distance');
BEGIN
  IF array_length(a, 1) <> 2 OR array_length(b, 1) <> 2 THEN
    RAISE EXCEPTION 'adql_geom_distance: DISTANCE takes two points, not a % and a %',
      CASE array_length(a, 1) WHEN 2 THEN 'point' WHEN 3 THEN 'circle' ELSE 'polygon' END,
      CASE array_length(b, 1) WHEN 2 THEN 'point' WHEN 3 THEN 'circle' ELSE 'polygon' END;
  END IF;
  RETURN adql_distance(a[1], a[2], b[1], b[2]);
END $$;

-- scalar::truncate
CREATE OR REPLACE FUNCTION adql_truncate(x float8, n bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT trunc(x * power(10::float8, least(greatest(n, -300), 300)::float8))
         / power(10::float8, least(greatest(n, -300), 300)::float8) $$;

-- scalar::round: the decimal value (float8 -> numeric keeps 15 significant digits), half away from zero.
CREATE OR REPLACE FUNCTION adql_round(x float8, n bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT round(x::numeric, least(greatest(n, -400), 400)::int)::float8 $$;

CREATE OR REPLACE FUNCTION adql_round(x bigint, n bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT round(x::numeric, least(greatest(n, -400), 400)::int)::float8 $$;

-- scalar::rand: a deterministic value in [0, 1) for a seed.
CREATE OR REPLACE FUNCTION adql_rand(seed bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (sin(seed::float8) * 43758.5453123) - floor(sin(seed::float8) * 43758.5453123) $$;

-- ADQL LIKE has no escape character: ESCAPE '' turns off PostgreSQL's default backslash.
CREATE OR REPLACE FUNCTION adql_like(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN v LIKE p ESCAPE '' THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION adql_ilike(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(v) LIKE lower(p) ESCAPE '' THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION ivo_nocasematch(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(v) LIKE lower(p) ESCAPE '' THEN 1 ELSE 0 END $$;

-- RegTAP 1.1 §9 (scalar::has_word): the needle, spaces around it ignored, with no letter, digit or underscore
-- right before or after it.
CREATE OR REPLACE FUNCTION ivo_hasword(haystack text, needle text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN btrim(needle) <> '' AND lower(haystack) ~ ('(^|[^[:alnum:]_])'
      || regexp_replace(lower(btrim(needle)), '([^[:alnum:][:space:]])', '\\\1', 'g') || '($|[^[:alnum:]_])')
    THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION ivo_hashlist_has(hashlist text, item text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(btrim(item)) = ANY (SELECT lower(btrim(x)) FROM unnest(string_to_array(hashlist, '#')) AS x)
    THEN 1 ELSE 0 END $$;

-- Nested HEALPix index: cdshealpix::nested::hash (what ingestion and the SQLite function use) step by step, so
-- both give the same cell even for positions on a cell boundary or a hair from a pole.
CREATE OR REPLACE FUNCTION adql_healpix(depth bigint, lon float8, lat float8) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  nside bigint; l float8; b float8; x float8; q int; quarter int; x_pm1 float8; s float8; y float8;
  pl float8; ph float8; d0h bigint; q01 int; q12 int; q1 int; q013 int; i bigint; j bigint; pix bigint := 0;
BEGIN
  IF depth < 0 OR depth > 29 THEN RAISE EXCEPTION 'adql_healpix: HEALPix depth % is outside 0..29', depth; END IF;
  IF NOT (lat >= -90 AND lat <= 90) OR NOT adql_finite(lon) THEN
    RAISE EXCEPTION 'adql_healpix: (%, %) is not a position on the sky', adql_num(lon), adql_num(lat);
  END IF;
  nside := 1::bigint << depth::int;
  -- lon modulo 360 as sky::healpix computes it (f64::rem_euclid), never -0
  l := lon - 360 * trunc(lon / 360);
  IF l < 0 THEN l := l + 360; END IF;
  IF l >= 360 THEN l := 0; END IF;
  l := l + 0.0::float8;
  -- cdshealpix xpm1_and_q
  x := radians(l) * (4 / pi());
  q := trunc(x)::int | 1;
  x_pm1 := x - q;
  quarter := (q & 7) >> 1;
  -- cdshealpix d0h_lh_in_d0c: polar caps (Collignon), equatorial belt (cylindrical equal area)
  b := radians(lat);
  IF b > 0.7297276562269663 THEN
    s := 2.449489742783178 * cos(0.5 * b + pi() / 4);
    pl := x_pm1 * s; ph := 2 - s; d0h := quarter;
  ELSIF b < -0.7297276562269663 THEN
    s := 2.449489742783178 * cos(0.5 * b - pi() / 4);
    pl := x_pm1 * s; ph := s; d0h := quarter + 8;
  ELSE
    y := sin(b) * 1.5;
    q01 := (x_pm1 > y)::int; q12 := (x_pm1 >= -y)::int; q1 := q01 & q12; q013 := q01 + (1 - q12);
    pl := x_pm1 - ((q01 + q12) - 1); ph := y + q013; d0h := (q013 << 2) + ((quarter + q1) & 3);
  END IF;
  -- coordinates in the base cell, scaled by nside/2 (exact: a power of two), truncated, kept below nside
  i := least(trunc(greatest((ph + pl) * (nside::float8 / 2), 0)), nside - 1)::bigint;
  j := least(trunc(greatest((ph - pl) * (nside::float8 / 2), 0)), nside - 1)::bigint;
  FOR k IN 0..depth - 1 LOOP
    pix := pix | (((i >> k) & 1) << (2 * k)) | (((j >> k) & 1) << (2 * k + 1));
  END LOOP;
  RETURN (d0h << (2 * depth)::int) | pix;
END $$;

CREATE OR REPLACE FUNCTION ivo_healpix_index(depth bigint, lon float8, lat float8) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT adql_healpix(depth, lon, lat) $$;
