-- The ADQL runtime functions (services/db/FUNCTIONS.md) for PostgreSQL: the same names, arguments and answers as
-- the SQLite versions in services/db/src/sqlite_udf.rs. Angles in degrees; geometry values are DALI text.
-- Installed (idempotently) v_by almagest-db when it opens a PostgreSQL database.

CREATE OR REPLACE FUNCTION adql_num(x float8) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN x = trunc(x) AND abs(x) < 1e15 THEN trunc(x)::bigint::text ELSE x::text END $$;

CREATE OR REPLACE FUNCTION adql_point(lon float8, lat float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF lat < -90 OR lat > 90 THEN RAISE EXCEPTION 'latitude % is outside [-90, 90]', lat; END IF;
  RETURN adql_num(lon) || ' ' || adql_num(lat);
END $$;

CREATE OR REPLACE FUNCTION adql_circle(lon float8, lat float8, r float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF lat < -90 OR lat > 90 THEN RAISE EXCEPTION 'latitude % is outside [-90, 90]', lat; END IF;
  RETURN adql_num(lon) || ' ' || adql_num(lat) || ' ' || adql_num(r);
END $$;

CREATE OR REPLACE FUNCTION adql_polygon(VARIADIC c float8[]) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE n int := coalesce(array_length(c, 1), 0);
BEGIN
  IF n < 6 OR n % 2 = 1 THEN
    RAISE EXCEPTION 'a polygon needs an even number (>= 6) of coordinates, not %', n;
  END IF;
  FOR i IN 2..n BY 2 LOOP
    IF c[i] < -90 OR c[i] > 90 THEN RAISE EXCEPTION 'latitude % is outside [-90, 90]', c[i]; END IF;
  END LOOP;
  RETURN (SELECT string_agg(adql_num(v), ' ' ORDER BY o) FROM unnest(c) WITH ORDINALITY AS t(v, o));
END $$;

CREATE OR REPLACE FUNCTION adql_box(lon float8, lat float8, w float8, h float8) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  top float8 := least(lat + h / 2, 90);
  bottom float8 := greatest(lat - h / 2, -90);
  sb float8 := (w / 2) / greatest(cos(radians(bottom)), 1e-9);
  st float8 := (w / 2) / greatest(cos(radians(top)), 1e-9);
BEGIN
  RETURN adql_polygon(lon - sb, bottom, lon + sb, bottom, lon + st, top, lon - st, top);
END $$;

-- Vincenty's formula: accurate for tiny and antipodal separations.
CREATE OR REPLACE FUNCTION adql_distance(lon1 float8, lat1 float8, lon2 float8, lat2 float8) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT degrees(atan2(
    sqrt(power(cos(radians(lat2)) * sin(radians(lon2 - lon1)), 2)
       + power(cos(radians(lat1)) * sin(radians(lat2))
             - sin(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)), 2)),
    sin(radians(lat1)) * sin(radians(lat2))
      + cos(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)))) $$;

CREATE OR REPLACE FUNCTION adql_nums(g text) RETURNS float8[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[];
BEGIN
  BEGIN
    a := regexp_split_to_array(btrim(g), '\s+')::float8[];
  EXCEPTION WHEN others THEN
    RAISE EXCEPTION 'geometry ''%'' is not DALI text', left(g, 60);
  END;
  RETURN a;
END $$;

CREATE OR REPLACE FUNCTION adql_geometry(g text, kind text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g); n int := coalesce(array_length(a, 1), 0);
BEGIN
  IF kind = 'point' AND n = 2 THEN RETURN adql_point(a[1], a[2]);
  ELSIF kind = 'circle' AND n = 3 THEN RETURN adql_circle(a[1], a[2], a[3]);
  ELSIF kind = 'polygon' AND n >= 6 AND n % 2 = 0 THEN RETURN adql_polygon(VARIADIC a);
  END IF;
  RAISE EXCEPTION '''%'' is not a %', left(g, 60), kind;
END $$;

CREATE OR REPLACE FUNCTION adql_in_circle(lon float8, lat float8, clon float8, clat float8, r float8) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN adql_distance(lon, lat, clon, clat) <= r THEN 1 ELSE 0 END $$;

-- Winding number of the polygon around the point, on the tangent plane at the point: either orientation.
CREATE OR REPLACE FUNCTION adql_in_polygon(lon float8, lat float8, poly text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  a float8[] := adql_nums(poly); n int := coalesce(array_length(a, 1), 0) / 2;
  v_px float8 := cos(radians(lat)) * cos(radians(lon));
  v_py float8 := cos(radians(lat)) * sin(radians(lon));
  v_pz float8 := sin(radians(lat));
  total float8 := 0;
  v_ax float8; v_ay float8; v_az float8; v_bx float8; v_by float8; v_bz float8; d float8;
  v_tax float8; v_tay float8; v_taz float8; v_tbx float8; v_tby float8; v_tbz float8; v_cx float8; v_cy float8; v_cz float8;
  j int; v_sx float8 := 0; v_sy float8 := 0; v_sz float8 := 0;
BEGIN
  IF n < 3 THEN RAISE EXCEPTION 'the third argument is not a polygon'; END IF;
  -- points on the far side of the sphere are outside (polygons are smaller than a hemisphere)
  FOR i IN 0..n - 1 LOOP
    v_sx := v_sx + cos(radians(a[2*i+2])) * cos(radians(a[2*i+1]));
    v_sy := v_sy + cos(radians(a[2*i+2])) * sin(radians(a[2*i+1]));
    v_sz := v_sz + sin(radians(a[2*i+2]));
  END LOOP;
  IF v_sx*v_px + v_sy*v_py + v_sz*v_pz <= 0 THEN RETURN 0; END IF;
  FOR i IN 0..n - 1 LOOP
    j := (i + 1) % n;
    v_ax := cos(radians(a[2*i+2])) * cos(radians(a[2*i+1])); v_ay := cos(radians(a[2*i+2])) * sin(radians(a[2*i+1]));
    v_az := sin(radians(a[2*i+2]));
    v_bx := cos(radians(a[2*j+2])) * cos(radians(a[2*j+1])); v_by := cos(radians(a[2*j+2])) * sin(radians(a[2*j+1]));
    v_bz := sin(radians(a[2*j+2]));
    d := v_ax*v_px + v_ay*v_py + v_az*v_pz; v_tax := v_ax - d*v_px; v_tay := v_ay - d*v_py; v_taz := v_az - d*v_pz;
    d := v_bx*v_px + v_by*v_py + v_bz*v_pz; v_tbx := v_bx - d*v_px; v_tby := v_by - d*v_py; v_tbz := v_bz - d*v_pz;
    v_cx := v_tay*v_tbz - v_taz*v_tby; v_cy := v_taz*v_tbx - v_tax*v_tbz; v_cz := v_tax*v_tby - v_tay*v_tbx;
    total := total + atan2(v_px*v_cx + v_py*v_cy + v_pz*v_cz, v_tax*v_tbx + v_tay*v_tby + v_taz*v_tbz);
  END LOOP;
  RETURN CASE WHEN abs(total) > pi() THEN 1 ELSE 0 END;
END $$;

CREATE OR REPLACE FUNCTION adql_contains(g1 text, g2 text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g1); b float8[] := adql_nums(g2);
  na int := coalesce(array_length(a, 1), 0); nb int := coalesce(array_length(b, 1), 0);
BEGIN
  IF na = 2 AND nb = 3 THEN RETURN adql_in_circle(a[1], a[2], b[1], b[2], b[3]);
  ELSIF na = 2 AND nb >= 6 THEN RETURN adql_in_polygon(a[1], a[2], g2);
  ELSIF na = 2 AND nb = 2 THEN RETURN CASE WHEN adql_distance(a[1], a[2], b[1], b[2]) < 1e-10 THEN 1 ELSE 0 END;
  ELSIF na >= 3 AND nb = 2 THEN RETURN 0;
  ELSIF na = 3 AND nb = 3 THEN RETURN CASE WHEN adql_distance(a[1], a[2], b[1], b[2]) + a[3] <= b[3] THEN 1 ELSE 0 END;
  ELSIF na >= 6 AND nb = 3 THEN
    FOR i IN 1..na BY 2 LOOP
      IF adql_distance(a[i], a[i+1], b[1], b[2]) > b[3] THEN RETURN 0; END IF;
    END LOOP;
    RETURN 1;
  END IF;
  RAISE EXCEPTION 'CONTAINS of a % in a % is not supported on PostgreSQL here',
    CASE WHEN na = 3 THEN 'circle' ELSE 'polygon' END, CASE WHEN nb = 3 THEN 'circle' ELSE 'polygon' END;
END $$;

CREATE OR REPLACE FUNCTION adql_intersects(g1 text, g2 text) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g1); b float8[] := adql_nums(g2);
  na int := coalesce(array_length(a, 1), 0); nb int := coalesce(array_length(b, 1), 0);
BEGIN
  IF na = 2 THEN RETURN adql_contains(g1, g2);
  ELSIF nb = 2 THEN RETURN adql_contains(g2, g1);
  ELSIF na = 3 AND nb = 3 THEN RETURN CASE WHEN adql_distance(a[1], a[2], b[1], b[2]) <= a[3] + b[3] THEN 1 ELSE 0 END;
  END IF;
  RAISE EXCEPTION 'INTERSECTS of two % is not supported on PostgreSQL here',
    CASE WHEN na = 3 OR nb = 3 THEN 'shapes with a polygon' ELSE 'polygons' END;
END $$;

CREATE OR REPLACE FUNCTION adql_area(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g); n int := coalesce(array_length(a, 1), 0);
  s float8 := 0; v_x0 float8; v_y0 float8; v_z0 float8; v_ax float8; v_ay float8; v_az float8; v_bx float8; v_by float8; v_bz float8;
BEGIN
  IF n = 2 THEN RETURN 0; END IF;
  IF n = 3 THEN RETURN 2 * pi() * (1 - cos(radians(a[3]))) * power(180 / pi(), 2); END IF;
  v_x0 := cos(radians(a[2])) * cos(radians(a[1])); v_y0 := cos(radians(a[2])) * sin(radians(a[1])); v_z0 := sin(radians(a[2]));
  FOR i IN 1..n / 2 - 2 LOOP
    v_ax := cos(radians(a[2*i+2])) * cos(radians(a[2*i+1])); v_ay := cos(radians(a[2*i+2])) * sin(radians(a[2*i+1]));
    v_az := sin(radians(a[2*i+2]));
    v_bx := cos(radians(a[2*i+4])) * cos(radians(a[2*i+3])); v_by := cos(radians(a[2*i+4])) * sin(radians(a[2*i+3]));
    v_bz := sin(radians(a[2*i+4]));
    s := s + 2 * atan2(v_x0 * (v_ay*v_bz - v_az*v_by) + v_y0 * (v_az*v_bx - v_ax*v_bz) + v_z0 * (v_ax*v_by - v_ay*v_bx),
                       1 + (v_x0*v_ax + v_y0*v_ay + v_z0*v_az) + (v_ax*v_bx + v_ay*v_by + v_az*v_bz) + (v_bx*v_x0 + v_by*v_y0 + v_bz*v_z0));
  END LOOP;
  RETURN abs(s) * power(180 / pi(), 2);
END $$;

CREATE OR REPLACE FUNCTION adql_centroid(g text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g); n int := coalesce(array_length(a, 1), 0);
  x float8 := 0; y float8 := 0; z float8 := 0; lon float8;
BEGIN
  IF n <= 3 THEN RETURN adql_point(a[1], a[2]); END IF;
  FOR i IN 1..n BY 2 LOOP
    x := x + cos(radians(a[i+1])) * cos(radians(a[i])); y := y + cos(radians(a[i+1])) * sin(radians(a[i]));
    z := z + sin(radians(a[i+1]));
  END LOOP;
  lon := degrees(atan2(y, x)); IF lon < 0 THEN lon := lon + 360; END IF;
  RETURN adql_point(lon, degrees(asin(least(1, greatest(-1, z / sqrt(x*x + y*y + z*z))))));
END $$;

CREATE OR REPLACE FUNCTION adql_coord1(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g);
BEGIN
  IF coalesce(array_length(a, 1), 0) <> 2 THEN RAISE EXCEPTION 'COORD1/COORD2 take a point'; END IF;
  RETURN a[1];
END $$;

CREATE OR REPLACE FUNCTION adql_coord2(g text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g);
BEGIN
  IF coalesce(array_length(a, 1), 0) <> 2 THEN RAISE EXCEPTION 'COORD1/COORD2 take a point'; END IF;
  RETURN a[2];
END $$;

CREATE OR REPLACE FUNCTION adql_geom_distance(g1 text, g2 text) RETURNS float8
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE a float8[] := adql_nums(g1); b float8[] := adql_nums(g2);
BEGIN
  IF coalesce(array_length(a, 1), 0) <> 2 OR coalesce(array_length(b, 1), 0) <> 2 THEN
    RAISE EXCEPTION 'DISTANCE takes two points';
  END IF;
  RETURN adql_distance(a[1], a[2], b[1], b[2]);
END $$;

CREATE OR REPLACE FUNCTION adql_truncate(x float8, n integer) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT trunc(x * power(10::float8, n)) / power(10::float8, n) $$;

-- A deterministic value in [0, 1) for a seed; the same expression as the SQLite version (sky::rand).
CREATE OR REPLACE FUNCTION adql_rand(seed bigint) RETURNS float8
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (sin(seed::float8) * 43758.5453123) - floor(sin(seed::float8) * 43758.5453123) $$;

CREATE OR REPLACE FUNCTION adql_like(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT CASE WHEN v LIKE p THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION adql_ilike(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT CASE WHEN lower(v) LIKE lower(p) THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION ivo_nocasematch(v text, p text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT CASE WHEN lower(v) LIKE lower(p) THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION ivo_hasword(haystack text, needle text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN btrim(needle) <> '' AND lower(haystack) ~ ('(^|[^[:alnum:]_])'
      || regexp_replace(lower(btrim(needle)), '([^[:alnum:][:space:]])', '\\\1', 'g') || '($|[^[:alnum:]_])')
    THEN 1 ELSE 0 END $$;

CREATE OR REPLACE FUNCTION ivo_hashlist_has(hashlist text, item text) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(btrim(item)) = ANY (SELECT lower(btrim(x)) FROM unnest(string_to_array(hashlist, '#')) AS x)
    THEN 1 ELSE 0 END $$;

-- Nested HEALPix index (Gorski et al. 2005 ang2pix_nest), the same cells as cdshealpix::nested::hash.
CREATE OR REPLACE FUNCTION adql_healpix(depth bigint, lon float8, lat float8) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  nside bigint; z float8; za float8; tt float8; t1 float8; t2 float8; jp bigint; jm bigint;
  ifp bigint; ifm bigint; face bigint; ix bigint; iy bigint; ntt bigint; tp float8; tmp float8; pix bigint := 0;
BEGIN
  IF depth < 0 OR depth > 29 THEN RAISE EXCEPTION 'HEALPix depth % is outside 0..29', depth; END IF;
  IF lat < -90 OR lat > 90 THEN RAISE EXCEPTION '(%, %) is not a position on the sky', lon, lat; END IF;
  nside := 1::bigint << depth::int;
  z := sin(radians(lat)); za := abs(z);
  tt := ((lon::numeric % 360 + 360) % 360)::float8 / 90.0;
  IF tt >= 4 THEN tt := 0; END IF;
  IF za <= 2.0 / 3.0 THEN
    t1 := nside * (0.5 + tt); t2 := nside * (z * 0.75);
    jp := floor(t1 - t2)::bigint; jm := floor(t1 + t2)::bigint;
    ifp := jp / nside; ifm := jm / nside;
    IF ifp = ifm THEN face := ifp | 4; ELSIF ifp < ifm THEN face := ifp; ELSE face := ifm + 8; END IF;
    ix := jm & (nside - 1); iy := nside - (jp & (nside - 1)) - 1;
  ELSE
    ntt := least(floor(tt)::bigint, 3); tp := tt - ntt;
    tmp := nside * sqrt(3 * (1 - za));
    jp := least(floor(tp * tmp)::bigint, nside - 1); jm := least(floor((1 - tp) * tmp)::bigint, nside - 1);
    IF z >= 0 THEN face := ntt; ix := nside - jm - 1; iy := nside - jp - 1;
    ELSE face := ntt + 8; ix := jp; iy := jm; END IF;
  END IF;
  FOR b IN 0..depth - 1 LOOP
    pix := pix | (((ix >> b) & 1) << (2 * b)) | (((iy >> b) & 1) << (2 * b + 1));
  END LOOP;
  RETURN face * nside * nside + pix;
END $$;

CREATE OR REPLACE FUNCTION ivo_healpix_index(depth bigint, lon float8, lat float8) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT adql_healpix(depth, lon, lat) $$;
