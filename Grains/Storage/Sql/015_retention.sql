-- Argus schema, version 15: what retention removed.
-- Retention drops whole months of audit_logs (Grains/Retention/PartitionMaintenance.cs), in one
-- transaction that also deletes the months' ids from audit_ids and their hours from the maintained
-- counts, subtracting those from audit_counts_total. One more number counts entries without
-- reading them: an unfiltered total is the sum of the partitions' last_seq, which stays where it
-- is (it is the chain's position). This table holds how many of each partition's sequence numbers
-- retention removed, so that total becomes sum(last_seq) - sum(entries). Only retention writes it,
-- after it has locked audit_logs, so no writer ever waits on its rows.
CREATE TABLE argus_removed (
    partition_id integer PRIMARY KEY,
    entries      bigint  NOT NULL CHECK (entries > 0)
);
