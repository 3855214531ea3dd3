-- Token buckets shared by several instances behind one load balancer.
CREATE TABLE rate_limits (
    bucket TEXT             PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     BIGINT           NOT NULL,
    allowed BOOLEAN NOT NULL DEFAULT TRUE
);
