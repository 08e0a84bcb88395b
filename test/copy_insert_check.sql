-- test/copy_insert_check.sql: the last two runs loaded the same file, the
-- first by COPY, the second by INSERT (pktcapture.write_method): their
-- rows and summaries, every column but id and run_id, must be the same in
-- both directions.  Prints, per table, whether the COPY run has rows there
-- (else nothing was compared) and how many rows differ.  Used by
-- sql/load.sql, which checks the rows and the sums against tshark.
WITH r AS (
    SELECT 'packets' AS tbl, run_id, to_jsonb(p) - 'id' - 'run_id' AS r FROM packets p
    UNION ALL
    SELECT 'pkt_summary', run_id, to_jsonb(s) - 'run_id' FROM pkt_summary s
    UNION ALL
    SELECT 'pkt_summary_top', run_id, to_jsonb(a) - 'run_id' FROM pkt_summary_top a
), by_copy AS (
    SELECT tbl, r FROM r WHERE run_id = (SELECT max(run_id) - 1 FROM pkt_runs)
), by_insert AS (
    SELECT tbl, r FROM r WHERE run_id = (SELECT max(run_id) FROM pkt_runs)
), d AS (
    (TABLE by_copy EXCEPT ALL TABLE by_insert)
    UNION ALL
    (TABLE by_insert EXCEPT ALL TABLE by_copy)
)
SELECT t.tbl, (SELECT count(*) > 0 FROM by_copy c WHERE c.tbl = t.tbl) AS compared,
       (SELECT count(*) FROM d WHERE d.tbl = t.tbl) AS differing
FROM (VALUES ('packets'), ('pkt_summary'), ('pkt_summary_top')) t (tbl)
ORDER BY 1;
