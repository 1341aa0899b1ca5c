-- Argus schema, version 2: cluster membership.
-- Every silo registers here and heartbeats on its own timer; survivors declare a silo whose
-- heartbeat has gone stale dead, and a silo that finds itself declared dead stops serving.
-- Live silos decide the balancing target: ceil(partitions / live silos) each.

CREATE TABLE argus_silos (
    silo_id       text        PRIMARY KEY,
    address       text        NOT NULL,
    generation    bigint      NOT NULL,
    status        text        NOT NULL CHECK (status IN ('joining', 'active', 'shutting_down', 'dead')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX argus_silos_live ON argus_silos (status, heartbeat_at);
