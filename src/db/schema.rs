//! Tables as diesel sees them: the subset of SQL types SQLite and PostgreSQL
//! share, so one schema serves both through `DbConnection`.
//! Mirrors migrations/{sqlite,postgres}; a test checks the two stay in step.

diesel::table! {
    petitions (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        body -> Text,
        addressee -> Nullable<Text>,
        goal -> Nullable<BigInt>,
        state -> Text,
        closes_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        text_changed_at -> Nullable<Timestamp>,
        erased_at -> Nullable<Timestamp>,
        lang -> Text,
    }
}

diesel::table! {
    signatures (id) {
        id -> BigInt,
        petition_id -> BigInt,
        email_key -> Nullable<Binary>,
        email -> Nullable<Text>,
        name -> Nullable<Text>,
        country -> Text,
        postcode -> Nullable<Text>,
        keep_informed -> Bool,
        status -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
        mails_queued -> Integer,
        last_mail_at -> Nullable<Timestamp>,
        held_reason -> Nullable<Text>,
        lang -> Text,
        personal -> Nullable<Binary>,
    }
}

diesel::table! {
    signature_tokens (token_hash) {
        token_hash -> Binary,
        signature_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        details_digest -> Nullable<Binary>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        signature_id -> BigInt,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        failed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    count_events (id) {
        id -> BigInt,
        petition_id -> BigInt,
        country -> Text,
        delta -> Integer,
        metric -> Text,
        day -> Nullable<Date>,
    }
}

diesel::table! {
    petition_counts (petition_id, country) {
        petition_id -> BigInt,
        country -> Text,
        confirmed -> BigInt,
    }
}

diesel::table! {
    petition_keys (petition_id) {
        petition_id -> BigInt,
        master_key_id -> Text,
        wrapped -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Binary,
    }
}

diesel::table! {
    petition_daily (petition_id, day) {
        petition_id -> BigInt,
        day -> Date,
        confirmed -> BigInt,
    }
}

diesel::table! {
    petition_tallies (petition_id, metric) {
        petition_id -> BigInt,
        metric -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    organisers (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Binary,
        organiser_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        organiser_id -> BigInt,
        name -> Text,
        token_hash -> Binary,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        account_key -> Binary,
        client_key -> Binary,
        device_key -> Nullable<Binary>,
        at -> Timestamp,
    }
}

diesel::table! {
    export_log (id) {
        id -> BigInt,
        petition_id -> BigInt,
        organiser_id -> Nullable<BigInt>,
        actor -> Text,
        what -> Text,
        rows_written -> Nullable<BigInt>,
        status -> Text,
        sha256 -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    petition_revisions (id) {
        id -> BigInt,
        petition_id -> BigInt,
        title -> Text,
        body -> Text,
        addressee -> Nullable<Text>,
        changed_at -> Timestamp,
        changed_by -> Text,
        main -> Bool,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        until -> Timestamp,
    }
}

diesel::table! {
    petition_translations (petition_id, lang) {
        petition_id -> BigInt,
        lang -> Text,
        title -> Text,
        body -> Text,
        addressee -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tlog_pending (id) {
        id -> BigInt,
        petition_id -> BigInt,
        signature_id -> BigInt,
        withdrawn -> Bool,
        country -> Text,
        day -> Date,
        signed_at -> Timestamp,
        commitment -> Nullable<Binary>,
    }
}

diesel::table! {
    tlog_heads (petition_id) {
        petition_id -> BigInt,
        origin -> Text,
        size -> BigInt,
        root -> Binary,
        totals -> Text,
        checkpoint -> Text,
        checkpoint_at -> Timestamp,
    }
}

diesel::table! {
    audit_records (id) {
        id -> BigInt,
        at -> Timestamp,
        organiser_id -> Nullable<BigInt>,
        actor -> Text,
        network -> Nullable<Binary>,
        kind -> Text,
        petition_id -> Nullable<BigInt>,
        detail -> Text,
        mac -> Binary,
    }
}

diesel::table! {
    tlog_checkpoints (petition_id, size) {
        petition_id -> BigInt,
        size -> BigInt,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tlog_leaves (petition_id, idx) {
        petition_id -> BigInt,
        idx -> BigInt,
        leaf -> Binary,
        commitment -> Nullable<Binary>,
        cancels -> Nullable<BigInt>,
        signature_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    tlog_hashes (petition_id, sidx) {
        petition_id -> BigInt,
        sidx -> BigInt,
        hash -> Binary,
    }
}

diesel::joinable!(signatures -> petitions (petition_id));
diesel::joinable!(tlog_heads -> petitions (petition_id));
diesel::joinable!(petition_translations -> petitions (petition_id));
diesel::joinable!(api_tokens -> organisers (organiser_id));
diesel::joinable!(export_log -> petitions (petition_id));
diesel::joinable!(signature_tokens -> signatures (signature_id));
diesel::joinable!(outbox -> signatures (signature_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_records,
    petitions,
    signatures,
    signature_tokens,
    outbox,
    count_events,
    petition_counts,
    petition_daily,
    petition_tallies,
    instance_secrets,
    petition_keys,
    organisers,
    sessions,
    api_tokens,
    login_failures,
    export_log,
    petition_revisions,
    petition_translations,
    job_leases,
    tlog_pending,
    tlog_heads,
    tlog_checkpoints,
    tlog_leaves,
    tlog_hashes,
);
