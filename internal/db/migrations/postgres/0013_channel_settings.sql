-- channel_settings is owned by internal/channel/settings: channel
-- addresses and credentials that administrators set in the console. A
-- secret's value is sealed with AES-GCM under a key derived from
-- VIGIL_SECRET_KEY (base64 of nonce || ciphertext), bound to its name.
CREATE TABLE channel_settings (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_by BIGINT  NOT NULL DEFAULT 0,
    updated_at BIGINT  NOT NULL
);
