//! undersigned through PgBouncer (session pooling), as deploy/README.md
//! describes: signing, confirming, counting, exports and migrations work.
//! Skipped, saying so, where PgBouncer is not installed (.ci/run installs it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, Smtp, spawn_app_mapped};

struct PgBouncer {
    child: Child,
    port: u16,
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_pgbouncer(dir: &Path, upstream: &url::Url) -> Option<PgBouncer> {
    if Command::new("pgbouncer").arg("--version").output().is_err() {
        eprintln!("pgbouncer is not installed: test not run");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let user = upstream.username();
    std::fs::write(dir.join("userlist.txt"), format!("\"{user}\" \"\"\n")).unwrap();
    let ini = format!(
        "[databases]\n* = host={} port={}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
         unix_socket_dir =\nauth_type = trust\nauth_file = {}\npool_mode = session\nmax_client_conn = 200\n\
         default_pool_size = 20\nignore_startup_parameters = extra_float_digits,options\n",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432),
        dir.join("userlist.txt").display(),
    );
    std::fs::write(dir.join("pgbouncer.ini"), ini).unwrap();
    // PgBouncer will not run as root; as root, it is told to become postgres.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = Command::new("pgbouncer");
    if root {
        cmd.args(["-u", "postgres"]);
    }
    let child = cmd.arg(dir.join("pgbouncer.ini")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let bouncer = PgBouncer { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "pgbouncer listens");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(bouncer)
}

#[actix_web::test]
async fn undersigned_works_through_pgbouncer_in_session_mode() {
    let Some(backend) = Backend::postgres() else { return };
    let Backend::Postgres(server) = &backend else { unreachable!() };
    let dir = tempfile::tempdir().unwrap();
    let Some(bouncer) = start_pgbouncer(dir.path(), &url::Url::parse(server).unwrap()) else { return };
    let port = bouncer.port;
    let through = move |u: &str| {
        let mut u = url::Url::parse(u).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(port)).unwrap();
        u.to_string()
    };
    // Migrations (a session advisory lock) run at start-up through PgBouncer.
    let app = spawn_app_mapped(backend, Smtp::Running, &[], through).await;
    app.create_petition("p").await;
    app.refresh_counts().await;
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let res = app.sign_json("p", &json!({"name": "N", "email": email, "country": "AR"})).await;
        assert_eq!(res.status(), 202);
    }
    let confirm = app.links(&app.mail_to("b@example.com", 1).await).confirm.unwrap();
    assert_eq!(app.post(&confirm).await.status(), 200);
    app.refresh_counts().await;
    assert_eq!(app.api_count("p").await, 1, "confirmed and folded (advisory lock) through PgBouncer");
    let admin = app.admin("org@example.org").await;
    let csv = admin.get("/admin/petitions/p/signatures.csv").await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.text().await.unwrap().lines().count(), 2, "header and the confirmed signature");
    assert_eq!(app.get("/readyz").await.status(), 200);
}
