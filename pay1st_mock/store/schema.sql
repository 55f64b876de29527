-- pay1st-mock state. Times are epoch seconds on the emulator clock; amounts are decimal text.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS partners (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    api_key      TEXT NOT NULL UNIQUE,
    api_secret   TEXT NOT NULL,
    signing_key  TEXT NOT NULL,
    webhook_url  TEXT,
    success_url  TEXT,
    failure_url  TEXT,
    pending_url  TEXT,
    cancel_url   TEXT,
    access       TEXT,  -- comma-separated API groups the credentials may use; NULL: all
    origin       TEXT NOT NULL CHECK (origin IN ('sandbox', 'config', 'api')),
    created_at   REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS tokens (
    token_hash  TEXT PRIMARY KEY,
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    issued_at   REAL NOT NULL,
    expires_at  REAL NOT NULL,
    revoked_at  REAL
);
CREATE INDEX IF NOT EXISTS tokens_partner ON tokens(partner_id);
-- The prune of long-expired tokens, every hundred issued, without reading them all.
CREATE INDEX IF NOT EXISTS tokens_expires ON tokens(expires_at);

CREATE TABLE IF NOT EXISTS payments (
    reference          TEXT PRIMARY KEY,
    partner_id         INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    partner_reference  TEXT NOT NULL,
    country_code       TEXT NOT NULL,
    currency_code      TEXT NOT NULL,
    amount             TEXT NOT NULL,
    status             TEXT NOT NULL,
    success_url        TEXT,
    failure_url        TEXT,
    pending_url        TEXT,
    cancel_url         TEXT,
    webhook_url        TEXT,
    products           TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    channel_id         INTEGER,
    channel_name       TEXT,
    origin             TEXT NOT NULL DEFAULT 'gateway',  -- gateway, shop or legacy
    step               TEXT NOT NULL DEFAULT 'choose',  -- the checkout step the customer is on
    step_data          TEXT NOT NULL DEFAULT '{}',      -- e.g. the voucher number, a failure reason
    created_at         REAL NOT NULL,
    updated_at         REAL NOT NULL,
    UNIQUE (partner_id, partner_reference)
);
CREATE INDEX IF NOT EXISTS payments_partner_created ON payments(partner_id, created_at);
CREATE INDEX IF NOT EXISTS payments_status_updated ON payments(status, updated_at);

CREATE TABLE IF NOT EXISTS payment_history (
    id         INTEGER PRIMARY KEY,
    reference  TEXT NOT NULL REFERENCES payments(reference) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_history_reference ON payment_history(reference);

CREATE TABLE IF NOT EXISTS fulfilments (
    id                 INTEGER PRIMARY KEY,
    reference          TEXT NOT NULL REFERENCES payments(reference) ON DELETE CASCADE,
    sku                TEXT NOT NULL,
    quantity           INTEGER NOT NULL,
    fulfilment_status  TEXT NOT NULL,
    fulfilment_time    TEXT,
    received_at        REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS fulfilments_reference ON fulfilments(reference);

-- Refunds of SUCCESSFUL payments (pay1st-api.md §6.10) and their status history.
CREATE TABLE IF NOT EXISTS refunds (
    reference                 TEXT PRIMARY KEY,               -- R- + 15 digits
    partner_id                INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    payment_reference         TEXT NOT NULL REFERENCES payments(reference) ON DELETE CASCADE,
    partner_refund_reference  TEXT NOT NULL,
    amount                    TEXT NOT NULL,
    currency_code             TEXT NOT NULL,
    full_refund               INTEGER NOT NULL,
    reason                    TEXT,
    webhook_url               TEXT,
    status                    TEXT NOT NULL,
    handling_type             TEXT NOT NULL,
    note                      TEXT,
    created_at                REAL NOT NULL,
    updated_at                REAL NOT NULL,
    UNIQUE (partner_id, partner_refund_reference)
);
CREATE INDEX IF NOT EXISTS refunds_payment ON refunds(payment_reference, created_at);
CREATE INDEX IF NOT EXISTS refunds_status_updated ON refunds(status, updated_at);

CREATE TABLE IF NOT EXISTS refund_history (
    id         INTEGER PRIMARY KEY,
    reference  TEXT NOT NULL REFERENCES refunds(reference) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS refund_history_reference ON refund_history(reference);

-- Chargebacks opened on SUCCESSFUL payments, their history and their evidence documents.
CREATE TABLE IF NOT EXISTS chargebacks (
    reference          TEXT PRIMARY KEY,                      -- CB- + 15 digits
    partner_id         INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    payment_reference  TEXT NOT NULL UNIQUE REFERENCES payments(reference) ON DELETE CASCADE,
    amount             TEXT NOT NULL,
    currency_code      TEXT NOT NULL,
    reason             TEXT NOT NULL,
    reason_code        TEXT NOT NULL,
    status             TEXT NOT NULL,
    due_at             REAL NOT NULL,
    created_at         REAL NOT NULL,
    updated_at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chargebacks_partner ON chargebacks(partner_id, created_at);
CREATE INDEX IF NOT EXISTS chargebacks_status_updated ON chargebacks(status, updated_at);

CREATE TABLE IF NOT EXISTS chargeback_history (
    id         INTEGER PRIMARY KEY,
    reference  TEXT NOT NULL REFERENCES chargebacks(reference) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    at         REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chargeback_history_reference ON chargeback_history(reference);

CREATE TABLE IF NOT EXISTS chargeback_evidence (
    chargeback_reference  TEXT NOT NULL REFERENCES chargebacks(reference) ON DELETE CASCADE,
    id                    INTEGER NOT NULL,                   -- 1, 2, ... within the chargeback
    file_name             TEXT NOT NULL,
    content_type          TEXT NOT NULL,
    content               TEXT NOT NULL,
    created_at            REAL NOT NULL,
    PRIMARY KEY (chargeback_reference, id)
);

-- The webhook outbox: written in the same transaction as the change that causes it.
CREATE TABLE IF NOT EXISTS deliveries (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,              -- payment_event, summary, refund, chargeback
    reference        TEXT NOT NULL,              -- deliveries of one reference go out in order
    event            TEXT NOT NULL,              -- the status that caused it
    url              TEXT,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'EXHAUSTED',
                                                     'SKIPPED')),
    note             TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  REAL,
    resend_of        INTEGER,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_reference ON deliveries(reference, id);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    at               REAL NOT NULL,
    url              TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    response_status  INTEGER,
    response_body    TEXT,
    duration_ms      REAL NOT NULL,
    error            TEXT
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts(delivery_id, number);

-- Shop and legacy-link purchases: a player, a bundle, and the payment that pays for it.
CREATE TABLE IF NOT EXISTS purchases (
    id                  INTEGER PRIMARY KEY,
    payment_reference   TEXT NOT NULL UNIQUE REFERENCES payments(reference) ON DELETE CASCADE,
    external_reference  TEXT NOT NULL,
    product_id          INTEGER NOT NULL,
    bundle_id           INTEGER NOT NULL,
    quantity            INTEGER NOT NULL,
    country_code        TEXT NOT NULL,
    player_id           TEXT NOT NULL,
    user_id             TEXT,
    source              TEXT NOT NULL,           -- shop, legacy or control
    platform            TEXT,
    created_at          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS purchases_external ON purchases(product_id, external_reference);

-- The request journal: every call a partner made to /api/pay1st, with its findings. Bounded.
CREATE TABLE IF NOT EXISTS journal (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    query            TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    status           INTEGER NOT NULL,
    response_body    TEXT NOT NULL,
    duration_ms      REAL NOT NULL,
    reference        TEXT,
    findings         TEXT NOT NULL,
    at               REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_partner ON journal(partner_id, id);

-- Every call the emulator made to a partner outside the outbox (User Info Webhook).
CREATE TABLE IF NOT EXISTS exchanges (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    product_id       INTEGER,
    kind             TEXT NOT NULL,
    request_url      TEXT NOT NULL,
    response_status  INTEGER,
    response_body    TEXT,
    duration_ms      REAL NOT NULL,
    verdict          TEXT NOT NULL,               -- valid, rejected or partner_fault
    message          TEXT NOT NULL,
    findings         TEXT NOT NULL,
    at               REAL NOT NULL
);

-- The go-live checklist's evidence: one row per observed fact (per payment where it has one),
-- written when it happens, so trimming the journal or restarting never un-ticks an item.
CREATE TABLE IF NOT EXISTS milestones (
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,              -- e.g. token.issued, webhook.ack_successful
    reference   TEXT NOT NULL DEFAULT '',   -- the payment it is about, '' when none
    ok          INTEGER NOT NULL,           -- 1 a success, 0 a problem
    message     TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL DEFAULT '{}', -- JSON: what proves it (a call, a delivery, a run)
    first_at    REAL NOT NULL,
    at          REAL NOT NULL,
    PRIMARY KEY (partner_id, name, reference, ok)
);
-- One payment's facts (the end-to-end check, on every fulfilment and acknowledged webhook),
-- without reading every fact of its partner.
CREATE INDEX IF NOT EXISTS milestones_reference ON milestones(partner_id, reference, ok, name);

-- What a person ticked by hand: items the emulator cannot observe.
CREATE TABLE IF NOT EXISTS checklist_ticks (
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    item        TEXT NOT NULL,
    done        INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          REAL NOT NULL,
    PRIMARY KEY (partner_id, item)
);
