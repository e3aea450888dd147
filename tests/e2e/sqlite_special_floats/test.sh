# Float values a REAL column cannot hold as they are — NaN (stored by the sqlite destination as
# the text 'NaN'), -0.0 (the blob '-0.0'), and the infinities (REALs) — come back from the sqlite
# source exactly, so a database Quarry wrote can be synced again without a table error or a NaN
# turning into NULL.
source "$E2E_LIB"
export SRC="$WORK/source.sqlite"
sqlite3 "$SRC" "create table m (id integer primary key, v double);
                insert into m values (1, 'NaN'), (2, cast('-0.0' as blob)), (3, 9e999), (4, -9e999),
                                     (5, NULL), (6, 2.5)"
run sync --no-progress config.yml
expect_status 0
expect_sql "$DB" "select id, typeof(v), quote(v) from m order by id" "1|text|'NaN'
2|blob|X'2D302E30'
3|real|Inf
4|real|-Inf
5|null|NULL
6|real|2.5"
finish
