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
    }
}

diesel::table! {
    signature_tokens (token_hash) {
        token_hash -> Binary,
        signature_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
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
    instance_secrets (name) {
        name -> Text,
        value -> Binary,
    }
}

diesel::joinable!(signatures -> petitions (petition_id));
diesel::joinable!(signature_tokens -> signatures (signature_id));
diesel::joinable!(outbox -> signatures (signature_id));

diesel::allow_tables_to_appear_in_same_query!(
    petitions,
    signatures,
    signature_tokens,
    outbox,
    count_events,
    petition_counts,
    instance_secrets,
);
