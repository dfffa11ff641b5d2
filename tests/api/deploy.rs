//! What can be checked of deploy/ without Docker or Kubernetes: the files
//! parse, every variable they set is one the binary reads, the systemd unit
//! verifies (where systemd-analyze exists), and the container health check
//! works.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::helpers::{Backend, TestDatabase};
use crate::process::ServerProcess;

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path)
}

fn yaml(path: &str) -> Yaml {
    let text = std::fs::read_to_string(deploy(path)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{path} parses: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

fn keys(map: &Yaml) -> Vec<String> {
    map.as_hash().map(|h| h.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn read_by_binary() -> BTreeSet<&'static str> {
    undersigned::configuration::VARIABLES.iter().map(|(name, _)| *name).collect()
}

#[test]
fn every_yaml_file_parses_and_names_only_variables_the_binary_reads() {
    let known = read_by_binary();
    let mut named: Vec<(String, String)> = Vec::new();

    let compose = yaml("compose.yaml");
    let services = keys(&compose["services"]);
    for s in ["postgres", "mailpit", "app1", "app2", "proxy"] {
        assert!(services.iter().any(|x| x == s), "compose has {s}");
    }
    named.extend(keys(&compose["x-undersigned"]["environment"]).into_iter().map(|k| ("compose.yaml".into(), k)));

    let mut kinds = BTreeSet::new();
    for file in std::fs::read_dir(deploy("k8s")).unwrap() {
        let path = file.unwrap().path();
        let name = format!("k8s/{}", path.file_name().unwrap().to_str().unwrap());
        let doc = yaml(&name);
        let kind = doc["kind"].as_str().unwrap_or_else(|| panic!("{name}: a kind")).to_owned();
        match kind.as_str() {
            "ConfigMap" => named.extend(keys(&doc["data"]).into_iter().map(|k| (name.clone(), k))),
            "Secret" => named.extend(keys(&doc["stringData"]).into_iter().map(|k| (name.clone(), k))),
            "Deployment" => {
                let container = &doc["spec"]["template"]["spec"]["containers"][0];
                assert_eq!(container["readinessProbe"]["httpGet"]["path"].as_str(), Some("/readyz"));
                assert_eq!(container["livenessProbe"]["httpGet"]["path"].as_str(), Some("/healthz"));
                assert_eq!(doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
            }
            _ => {}
        }
        kinds.insert(kind);
    }
    assert_eq!(kinds, ["ConfigMap", "Deployment", "Secret", "Service"].map(String::from).into_iter().collect());

    let dockerfile = std::fs::read_to_string(deploy("Dockerfile")).unwrap();
    let env_block: String = dockerfile
        .lines()
        .skip_while(|l| !l.starts_with("ENV "))
        .take_while(|l| l.starts_with("ENV ") || l.starts_with("    "))
        .collect::<Vec<_>>()
        .join(" ");
    for word in env_block.split_whitespace().filter_map(|w| w.split_once('=').map(|(k, _)| k.to_owned())) {
        named.push(("Dockerfile".into(), word));
    }
    assert!(dockerfile.contains("USER undersigned") && dockerfile.contains("HEALTHCHECK"));
    assert!(dockerfile.matches("FROM ").count() >= 2, "multi-stage");

    assert!(named.len() > 15, "{named:?}");
    for (file, var) in &named {
        assert!(known.contains(var.as_str()), "{file} sets {var}, which the binary does not read");
    }
}

/// Variables of other programs that deploy/ sets on purpose.
const OTHERS: [&str; 3] = ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"];

#[test]
fn every_upper_case_setting_anywhere_in_deploy_is_read_by_the_binary() {
    let known = read_by_binary();
    let mut files = vec![deploy("")];
    let mut seen = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().map(str::trim_start).filter(|l| !l.starts_with('#')) {
            let line = line.trim_start_matches("ENV ").trim_start_matches("- ").trim_start();
            let name: String =
                line.chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
            let rest = &line[name.len()..];
            if name.len() < 3 || !(rest.starts_with('=') || rest.starts_with(": ") || rest == ":") {
                continue;
            }
            seen += 1;
            assert!(
                known.contains(name.as_str()) || OTHERS.contains(&name.as_str()),
                "{} sets {name}, which the binary does not read",
                path.display()
            );
        }
    }
    assert!(seen > 30, "the scan found the settings ({seen})");
}

#[test]
fn the_systemd_unit_verifies_where_systemd_analyze_exists() {
    let unit = deploy("undersigned.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    for line in ["NoNewPrivileges=yes", "ProtectSystem=strict", "User=undersigned", "KillSignal=SIGTERM"] {
        assert!(text.contains(line), "{line}");
    }
    match Command::new("systemd-analyze").arg("verify").arg(&unit).output() {
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            // The binary exists only where it is installed.
            let relevant: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.contains("Command /usr/local/bin/undersigned is not executable"))
                .collect();
            assert!(relevant.is_empty(), "systemd-analyze verify: {stderr}");
        }
        Err(_) => eprintln!("systemd-analyze is not installed here: the unit was not verified"),
    }
}

#[actix_web::test]
async fn the_container_health_check_asks_the_running_server() {
    let (_db, url) = TestDatabase::create(&Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&url, &dir.path().join("outbox"), &dir.path().join("log"), &[]);
    let address = server.address.trim_start_matches("http://").to_owned();
    let check = |address: &str| {
        Command::new(env!("CARGO_BIN_EXE_undersigned")).args(["healthcheck", "--address", address]).output().unwrap()
    };
    let ok = check(&address);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    drop(server);
    assert!(!check(&address).status.success(), "nothing listening: unhealthy");
    // Without --address it asks BIND, reading 0.0.0.0 as this machine.
    let out =
        Command::new(env!("CARGO_BIN_EXE_undersigned")).arg("healthcheck").env("BIND", "0.0.0.0:1").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:1"));
}
