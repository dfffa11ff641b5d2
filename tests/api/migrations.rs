//! Both backends' migration folders stay in step.

use std::collections::BTreeSet;
use std::path::Path;

fn migrations(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .inspect(|p| {
            assert!(p.join("up.sql").is_file(), "{} has no up.sql", p.display());
            assert!(p.join("down.sql").is_file(), "{} has no down.sql", p.display());
        })
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sqlite_and_postgres_have_the_same_migrations() {
    let sqlite = migrations("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migrations("postgres"));
}
