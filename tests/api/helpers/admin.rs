//! Forms, organisers and their browsers, and rows seeded directly.

use undersigned::db;

use super::{REQUEST_TIMEOUT, TestApp};

pub fn ada() -> Vec<(&'static str, &'static str)> {
    vec![("name", "Ada Lovelace"), ("email", "ada@example.com"), ("country", "GB"), ("postcode", "SW1A 1AA")]
}

/// The password every test organiser has.
pub const PASSWORD: &str = "correct horse battery staple";

/// The `started` stamp of a sign form.
pub fn form_stamp_in(html: &str) -> Option<String> {
    let at = html.find("name=\"started\" value=\"")? + "name=\"started\" value=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

/// The value of the first hidden `csrf_token` field in a page.
pub fn csrf_in(html: &str) -> String {
    let start = html.find(r#"name="csrf_token" value=""#).expect("a CSRF field") + r#"name="csrf_token" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A browser: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap()
}

/// An organiser's browser, signed in.
pub struct Admin {
    pub client: reqwest::Client,
    address: String,
}

impl Admin {
    /// The organiser signed in from `client` (its cookies) on `app`.
    pub fn signed_in(client: reqwest::Client, app: &TestApp) -> Self {
        Self { client, address: app.address.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// The CSRF token on the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        csrf_in(&self.get(path).await.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.unwrap()
    }
}

impl TestApp {
    pub async fn add_organiser(&self, email: &str) -> i64 {
        let password = undersigned::domain::Password::parse(PASSWORD).unwrap();
        let hash = tokio::task::spawn_blocking(move || undersigned::auth::password::hash_blocking(&password).unwrap())
            .await
            .unwrap();
        let email = email.to_owned();
        self.query(move |c| db::organisers::insert(c, &email, &hash, undersigned::now())).await
    }

    /// Submits the login form from `client` (which keeps its cookies).
    pub async fn submit_login(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let page = client.get(self.url("/admin/login")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_in(&page);
        client
            .post(self.url("/admin/login"))
            .form(&[("email", email), ("password", password), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap()
    }

    /// Adds an organiser and signs them in.
    pub async fn admin(&self, email: &str) -> Admin {
        self.add_organiser(email).await;
        let client = browser();
        let res = self.submit_login(&client, email, PASSWORD).await;
        assert_eq!(res.status(), 303, "login succeeds");
        Admin { client, address: self.address.clone() }
    }

    /// Stores confirmed signatures directly (counted too), for tests that need
    /// many rows or rows the forms would refuse.
    pub async fn insert_confirmed(&self, petition_id: i64, rows: Vec<(String, String, Option<String>, String, bool)>) {
        let rows: Vec<db::seed::SeedRow> = rows
            .into_iter()
            .map(|(name, country, postcode, email, keep_informed)| db::seed::SeedRow {
                name,
                country,
                postcode,
                email,
                keep_informed,
            })
            .collect();
        // Sealed under the petition's keys, as signing stores them.
        let vault = std::sync::Arc::clone(self.state.keys.vault());
        self.query(move |c| {
            let keys = vault.keys(c, petition_id)?;
            db::seed::confirmed(c, petition_id, &rows, undersigned::now(), Some(&keys))
        })
        .await;
    }

    /// Queues for the transparency log the signatures [`Self::insert_confirmed`]
    /// stored, as confirming would have (a delivery packet needs them in the
    /// log).
    pub async fn queue_for_log(&self, petition_id: i64) {
        self.query(move |c| db::seed::queue_leaves(c, petition_id, undersigned::now())).await;
    }
}
