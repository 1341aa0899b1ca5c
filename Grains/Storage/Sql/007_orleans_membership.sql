-- Argus schema, version 7: Orleans cluster membership.
-- Orleans' membership protocol keeps its view of the cluster in a table it reads and writes
-- through IMembershipTable (the silos) and IGatewayListProvider (the clients). Every change of a
-- silo's row also moves its cluster's version, both conditioned on etags, in one statement: two
-- silos that read the same view cannot both write on top of it. argus_silos, the membership of
-- the silos before Orleans, goes.

DROP TABLE argus_silos;

-- Every etag is drawn from this one sequence, never reused: an etag read before a cluster's rows
-- were deleted and created again cannot match a later row by coincidence.
CREATE SEQUENCE argus_membership_etags;

-- One row per cluster id: the version of its membership view.
CREATE TABLE argus_membership_versions (
    cluster_id  text    PRIMARY KEY,
    version     integer NOT NULL CHECK (version >= 0),
    etag        bigint  NOT NULL DEFAULT nextval('argus_membership_etags')
);

-- One row per silo incarnation: a restarted silo has a new generation, so a new row, and the
-- row of its previous life stays (Dead) until cleaned up. Deleting a cluster's version row
-- deletes its silos.
CREATE TABLE argus_membership (
    cluster_id     text          NOT NULL REFERENCES argus_membership_versions ON DELETE CASCADE,
    address        inet          NOT NULL CHECK (masklen(address) = CASE family(address) WHEN 4 THEN 32 ELSE 128 END),
    port           integer       NOT NULL CHECK (port BETWEEN 1 AND 65535),
    generation     integer       NOT NULL,
    silo_name      text          NOT NULL,
    host_name      text          NOT NULL,
    -- Orleans' SiloStatus: 1 Created, 2 Joining, 3 Active, 4 ShuttingDown, 5 Stopping, 6 Dead.
    status         integer       NOT NULL CHECK (status BETWEEN 1 AND 6),
    -- The port clients connect to (the gateway); 0 when the silo is no gateway.
    proxy_port     integer       NOT NULL CHECK (proxy_port BETWEEN 0 AND 65535),
    role_name      text,
    update_zone    integer       NOT NULL DEFAULT 0,
    fault_zone     integer       NOT NULL DEFAULT 0,
    -- The votes to declare this silo dead: suspecters[i] (a silo address in Orleans' parsable
    -- form, ip:port@generation) voted at suspected_at[i].
    suspecters     text[]        NOT NULL DEFAULT '{}',
    suspected_at   timestamptz[] NOT NULL DEFAULT '{}',
    started_at     timestamptz   NOT NULL,
    -- Written by the silo's own heartbeat without an etag, and never moved backwards.
    i_am_alive_at  timestamptz   NOT NULL,
    etag           bigint        NOT NULL DEFAULT nextval('argus_membership_etags'),
    PRIMARY KEY (cluster_id, address, port, generation),
    CONSTRAINT argus_membership_votes CHECK (cardinality(suspecters) = cardinality(suspected_at))
);
