-- pktcapture 1.6 -> 1.7: frames, and exporting them to Wireshark.
--
-- packets.frame keeps each frame as captured, up to
-- pktcapture.frame_snaplen bytes; the ledger says per run what the frames
-- are (linktype, frame_snaplen) and counts those not kept
-- (frames_not_kept); pkt_export(), pkt_export_rows(), pkt_pcapng() and
-- pkt_pcapng_rows() write them as pcapng, pkt_flow_packets() finds a
-- conversation's rows.  Adding a nullable column rewrites no partition.
-- Function bodies are those of pktcapture--1.7.sql.

\echo Use "ALTER EXTENSION pktcapture UPDATE TO '1.7'" to load this file. \quit

ALTER TABLE @extschema@.packets ADD COLUMN frame bytea;
COMMENT ON COLUMN @extschema@.packets.frame IS 'the frame as captured, its first pkt_runs.frame_snaplen bytes; NULL: not kept (pktcapture.frame_snaplen)';

ALTER TABLE @extschema@.pkt_runs
    ADD COLUMN linktype integer,
    ADD COLUMN frame_snaplen integer NOT NULL DEFAULT 0,
    ADD COLUMN frames_not_kept bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.pkt_runs.linktype IS 'the link type of the run''s frames (libpcap''s DLT_ value)';
COMMENT ON COLUMN @extschema@.pkt_runs.frame_snaplen IS 'bytes of each frame kept in packets.frame (pktcapture.frame_snaplen); 0: none';
COMMENT ON COLUMN @extschema@.pkt_runs.frames_not_kept IS 'rows whose frame was not kept: no room while it waited (pktcapture.frame_memory)';

-- ---------------------------------------------------------------------
-- 1.7: frames, and exporting them to Wireshark.
--
-- packets.frame holds the frame as captured, its first
-- pktcapture.frame_snaplen bytes (NULL when not kept); it lives and goes
-- with its row, its partition, pg_dump and the hub's replication.  The
-- ledger says per run what a frame is (linktype: the pcap link type;
-- frame_snaplen: the bytes kept) and counts the rows whose frame found no
-- room (frames_not_kept).  See docs/storage.md, "Frames".

-- the writer's batch function for packets.frame
CREATE FUNCTION @extschema@.pkt_batch_bytea(bigint, integer) RETURNS SETOF bytea
AS 'MODULE_PATHNAME', 'pkt_batch_column' LANGUAGE C STRICT;

-- pcapng of the frames of a window, to a file on the server: one
-- interface block per capture interface (or file loaded) with its link
-- type and the snap length kept, the frames in time order, narrowed by a
-- BPF filter in tcpdump's language, an interface and a sensor.  Run with
-- the caller's rights: it reads what the caller may read of packets, and
-- writes the file only for members of pg_write_server_files (as COPY TO a
-- file).  Returns the frames written.
CREATE FUNCTION @extschema@.pkt_export(path text, from_time timestamptz, to_time timestamptz,
                                        filter text DEFAULT NULL, interface text DEFAULT NULL,
                                        sensor text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_export'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text) IS
'Write the frames kept of a window (a BPF filter, an interface, a sensor) to a pcapng file on the server; returns the frames written';

-- The same of the rows a query selects (a SELECT returning the columns of
-- packets, at least capture_time, frame, packet_size, run_id and sensor),
-- in the query's order.
CREATE FUNCTION @extschema@.pkt_export_rows(path text, query text, filter text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pkt_export_rows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_export_rows(text, text, text) IS
'Write the frames kept of the rows of packets a query selects to a pcapng file on the server; returns the frames written';

-- To the client: the same pcapng file as pkt_export(), in pieces whose
-- concatenation in the order of n is the file (client/pkt-export).
CREATE FUNCTION @extschema@.pkt_pcapng(from_time timestamptz, to_time timestamptz,
                                        filter text DEFAULT NULL, interface text DEFAULT NULL,
                                        sensor text DEFAULT NULL,
                                        OUT n bigint, OUT piece bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_pcapng'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text) IS
'The pcapng file of the frames kept of a window, in pieces to concatenate in the order of n';

CREATE FUNCTION @extschema@.pkt_pcapng_rows(query text, filter text DEFAULT NULL,
                                             OUT n bigint, OUT piece bytea)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pkt_pcapng_rows'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.pkt_pcapng_rows(text, text) IS
'The pcapng file of the frames kept of the rows of packets a query selects, in pieces to concatenate in the order of n';

-- The rows of packets of one row of flows: its conversation's packets of
-- that interval, both ways; for a folded row, its server's packets of the
-- interval (those of its conversations kept apart too); none for the
-- overflow row.  Every name qualified: it is inlined, so that its window
-- prunes the partitions.  Its columns are packets' (pkt_export_rows takes
-- them), listed rather than SETOF packets: the table's row type stays free
-- of a function's dependency.
CREATE FUNCTION @extschema@.pkt_flow_packets(f @extschema@.flows)
RETURNS TABLE (id bigint, src_ip inet, dst_ip inet, protocol text, packet_size integer, capture_time timestamptz,
        ip_version smallint, ip_proto smallint, src_port integer, dst_port integer, tcp_flags smallint,
        captured_size integer, vlan_id smallint, interface text, run_id integer, sensor text, frame bytea)
LANGUAGE sql STABLE
AS $$
SELECT p.* FROM @extschema@.packets p
WHERE p.capture_time OPERATOR(pg_catalog.>=) f.first_seen
  AND p.capture_time OPERATOR(pg_catalog.<=) f.last_seen
  AND p.run_id OPERATOR(pg_catalog.=) f.run_id
  AND p.sensor OPERATOR(pg_catalog.=) (CASE WHEN f.sensor OPERATOR(pg_catalog.=) @extschema@.pkt_sensor()
                                            THEN '' ELSE f.sensor END)
  AND p.ip_proto OPERATOR(pg_catalog.=) f.ip_proto
  AND (p.vlan_id OPERATOR(pg_catalog.=) f.vlan_id OR (p.vlan_id IS NULL AND f.vlan_id IS NULL))
  AND (p.interface OPERATOR(pg_catalog.=) f.interface OR (p.interface IS NULL AND f.interface IS NULL))
  AND f.dst_ip IS NOT NULL
  AND ((p.dst_ip OPERATOR(pg_catalog.=) f.dst_ip
        AND (p.dst_port OPERATOR(pg_catalog.=) f.dst_port OR (p.dst_port IS NULL AND f.dst_port IS NULL))
        AND (f.src_ip IS NULL
             OR (p.src_ip OPERATOR(pg_catalog.=) f.src_ip
                 AND (p.src_port OPERATOR(pg_catalog.=) f.src_port OR (p.src_port IS NULL AND f.src_port IS NULL)))))
    OR (p.src_ip OPERATOR(pg_catalog.=) f.dst_ip
        AND (p.src_port OPERATOR(pg_catalog.=) f.dst_port OR (p.src_port IS NULL AND f.dst_port IS NULL))
        AND (f.src_ip IS NULL
             OR (p.dst_ip OPERATOR(pg_catalog.=) f.src_ip
                 AND (p.dst_port OPERATOR(pg_catalog.=) f.src_port OR (p.dst_port IS NULL AND f.src_port IS NULL))))))
$$;

COMMENT ON FUNCTION @extschema@.pkt_flow_packets(@extschema@.flows) IS
'The rows of packets of a row of flows (its conversation in its interval, both ways), for pkt_export_rows()';

-- 1.7: frames.  The export functions run with the caller's rights: they
-- read what it may read of packets, and pkt_export() and
-- pkt_export_rows() write a file only for pg_write_server_files; a
-- reader may run them once pkt_grant_read() says so.
REVOKE ALL ON FUNCTION @extschema@.pkt_batch_bytea(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text),
    @extschema@.pkt_export_rows(text, text, text),
    @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text),
    @extschema@.pkt_pcapng_rows(text, text), @extschema@.pkt_flow_packets(@extschema@.flows) FROM PUBLIC;

-- A role that may read everything pktcapture stores, and so pg_dump it:
-- packets and flows and their partitions, the ledger, the summaries, the
-- partitions' records, the hub's sensors, and the sequences; and export
-- the frames kept (the export functions run with the caller's rights).
CREATE OR REPLACE FUNCTION @extschema@.pkt_grant_read(reader name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    part record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        RAISE EXCEPTION 'role "%" does not exist', reader USING ERRCODE = 'undefined_object';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %s TO %I', '@extschema@', reader);
    EXECUTE format('GRANT SELECT ON @extschema@.packets, @extschema@.pkt_runs, @extschema@.pkt_summary, '
                   '@extschema@.pkt_summary_top, @extschema@.pkt_partitions, '
                   '@extschema@.pkt_partition_rows, @extschema@.pkt_hub_sensors, @extschema@.flows, '
                   '@extschema@.pkt_flow_partitions TO %I', reader);
    EXECUTE format('GRANT SELECT ON SEQUENCE @extschema@.packets_id_seq, @extschema@.pkt_runs_run_id_seq TO %I', reader);
    EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text), '
                   '@extschema@.pkt_pcapng_rows(text, text), @extschema@.pkt_flow_packets(@extschema@.flows), '
                   '@extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text), '
                   '@extschema@.pkt_export_rows(text, text, text) TO %I', reader);
    FOR part IN SELECT c.relname, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent IN ('@extschema@.packets'::regclass, '@extschema@.flows'::regclass) LOOP
        PERFORM @extschema@.pkt_partition_grants_from(part.inhparent, part.relname);
    END LOOP;
    RETURN format('%s may read what pktcapture stores, and pg_dump this database', reader);
END
$$;

COMMENT ON FUNCTION @extschema@.pkt_grant_read(name) IS
'Grant a role SELECT on everything pktcapture stores (packets and flows and their partitions, the ledger, the summaries), so that it may pg_dump it, and export the frames kept';
-- The readers pkt_grant_read() made before 1.7 may export the frames too
-- (it grants pkt_hub_sensors, which a hub's role of pkt_sensor_grant() has
-- not).
DO $$
DECLARE
    reader name;
BEGIN
    FOR reader IN
        SELECT DISTINCT r.rolname
        FROM pg_catalog.pg_class c,
             pg_catalog.aclexplode(c.relacl) a
             JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
        WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.packets'::pg_catalog.regclass
          AND a.privilege_type OPERATOR(pg_catalog.=) 'SELECT'
          AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
          AND pg_catalog.has_table_privilege(a.grantee, '@extschema@.pkt_hub_sensors', 'SELECT')
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.pkt_pcapng(timestamptz, timestamptz, text, text, text), '
                                  '@extschema@.pkt_pcapng_rows(text, text), @extschema@.pkt_flow_packets(@extschema@.flows), '
                                  '@extschema@.pkt_export(text, timestamptz, timestamptz, text, text, text), '
                                  '@extschema@.pkt_export_rows(text, text, text) TO %I', reader);
    END LOOP;
END
$$;
