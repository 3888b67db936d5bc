-- A built day is stored in parts (one per grouping dimension), so a report
-- reads only the dimensions it shows. A part is current while its version
-- equals the day's version in rollup_days.
CREATE TABLE rollup_parts (
    kind    TEXT NOT NULL,
    day     BIGINT NOT NULL,
    part    TEXT NOT NULL,
    version BIGINT NOT NULL,
    data    TEXT NOT NULL,
    PRIMARY KEY (kind, day, part)
);
UPDATE rollup_days SET built_version = -1, data = '';
