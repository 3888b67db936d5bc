-- A report now builds a day's parts (grouping dimensions) as it asks for
-- them, so a part is current whenever its version is its day's. Until now
-- a time-zone change marked the days again from version 1, which left parts
-- of the days' earlier versions that a later version could match; every
-- day was then built in all its parts at once, so none was read. Such
-- parts are dropped: those above their day's version, those of a day not
-- built at its version whose version is the day's, and those of days gone.
DELETE FROM rollup_parts WHERE NOT EXISTS (
    SELECT 1 FROM rollup_days d WHERE d.kind = rollup_parts.kind AND d.day = rollup_parts.day
    AND (rollup_parts.version < d.version OR (rollup_parts.version = d.version AND d.built_version = d.version)));
